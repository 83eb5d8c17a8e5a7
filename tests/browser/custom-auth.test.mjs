// A bot's pages in the dashboard: settings, Development → Custom Authentication configured
// through its form against a real customer API, the testing panel (new contact, existing
// contact, a missing identifier), the signing secret, and the embed snippet.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { CONCIERGE_BIN, screenshot, setup, signUpFirstUser, skipReason, trackPage } from './harness.mjs';

const EMAIL = 'dev@acme.example';
const PASSWORD = 'correct horse battery staple';

describe('bot pages and Custom Authentication', { skip: skipReason() }, () => {
  let f;
  let context;
  let page;
  let tracker;
  let botId;
  const bot = (p = '') => `${f.server.url}/bots/${botId}${p}`;
  const verdict = () => page.locator('#test-result .verdict');

  before(async () => {
    f = await setup();
    context = await f.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: f.server.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // A refused save or test (4xx) is the browser's own line.
    tracker = trackPage(page).allow(/the server responded with a status of 422/);
  });
  after(async () => {
    await context?.close();
    await f?.close();
  });

  test('sign in through the setup link and create a bot', async () => {
    await signUpFirstUser(f, page, EMAIL, PASSWORD);
    await page.getByLabel('Name').fill('Acme Support');
    await page.getByRole('button', { name: 'Create bot' }).click();
    await page.getByRole('link', { name: 'Acme Support' }).click();
    await page.getByRole('heading', { name: 'Acme Support', level: 1 }).waitFor();
    botId = new URL(page.url()).pathname.split('/')[2];
    assert.ok(botId, 'the bot link leads to /bots/{id}');
    tracker.check();
  });

  test('settings: name and colour are saved; a bad origin is shown next to its field', async () => {
    await page.goto(bot());
    const tabs = page.getByRole('navigation', { name: 'Bot' });
    assert.equal(await tabs.getByRole('link', { name: 'Settings' }).getAttribute('aria-current'), 'page');
    assert.match(await tabs.innerText(), /Development\s+Identity/i);
    await page.getByLabel('Name').fill('Acme Help');
    await page.getByLabel('Colour').fill('#0f766e');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.getByRole('heading', { name: 'Acme Help', level: 1 }).waitFor();
    const stored = await f.server.admin('GET', `/bots/${botId}`);
    assert.equal(stored.name, 'Acme Help');
    assert.equal(stored.color, '#0f766e');

    await page.getByLabel('Name').fill('Acme Helpdesk');
    await page.getByLabel('Allowed widget origins').fill('https://shop.example\nnot an origin');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const origins = page.getByLabel('Allowed widget origins');
    await page.locator('#allowed_origins-error').waitFor();
    assert.equal(await origins.getAttribute('aria-invalid'), 'true');
    assert.match(await origins.inputValue(), /not an origin/, 'the submitted value is kept');
    assert.equal(await page.getByLabel('Name').inputValue(), 'Acme Helpdesk', 'the other values are kept too');
    assert.equal((await f.server.admin('GET', `/bots/${botId}`)).name, 'Acme Help', 'a refused form changes nothing');
    await screenshot(page, 'dashboard-bot-settings', { fullPage: true });
    tracker.check();
  });

  test('another id, or no such bot: a 404 page', async () => {
    const other = execFileSync(CONCIERGE_BIN, ['workspace', 'create', '--name', 'Other Co', '--data-dir', f.server.dataDir], {
      encoding: 'utf8',
    });
    const workspaceId = other.match(/[0-9a-f-]{36}/)?.[0];
    const paths = ['/bots/no-such-bot', '/bots/no-such-bot/custom-auth', '/bots/no-such-bot/embed'];
    if (workspaceId) {
      const foreign = await f.server.admin('POST', '/bots', { name: 'Theirs', workspace_id: workspaceId });
      paths.push(`/bots/${foreign.id}`, `/bots/${foreign.id}/custom-auth`);
    }
    tracker.allow(/Failed to load resource: the server responded with a status of 404/);
    for (const p of paths) {
      const res = await page.goto(`${f.server.url}${p}`);
      assert.equal(res.status(), 404, p);
      await page.getByRole('heading', { name: 'Bot not found' }).waitFor();
    }
    assert.ok(workspaceId, `workspace create printed an id: ${other}`);
  });

  test('Custom Authentication is configured through the form; a bad URL is shown next to it', async () => {
    await page.goto(bot());
    await page.getByRole('link', { name: 'Identity' }).click();
    await page.getByRole('heading', { name: 'Custom Authentication' }).waitFor();
    const enabled = page.getByRole('switch', { name: 'Enabled' });
    assert.equal(await enabled.isChecked(), false);
    await enabled.check();
    await page.getByLabel('Authentication URL').fill('ftp://auth.example/login');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const urlError = page.locator('#url-error');
    await urlError.waitFor();
    assert.ok((await urlError.innerText()).length > 5, 'the URL error says something');
    assert.equal(await page.getByLabel('Authentication URL').getAttribute('aria-invalid'), 'true');
    assert.equal((await f.server.admin('GET', `/bots/${botId}/custom-auth`)).enabled, false, 'nothing was saved');

    await page.getByLabel('Authentication URL').fill(f.customer.url);
    await page.getByRole('checkbox', { name: 'User ID' }).check();
    await page.getByLabel('Timeout (ms)').fill('3000');
    await page.getByRole('button', { name: '+ Add header' }).click();
    await page.getByRole('textbox', { name: 'Header name' }).last().fill('X-Api-Key');
    await page.getByLabel('Header value').last().fill('k-123');
    // Unsaved changes: the test would not use them, so it cannot be sent.
    assert.equal(await page.getByRole('button', { name: 'Send test request' }).isDisabled(), true);
    // Meanwhile a colleague limits the widget to the shop on the Settings page, in a tab of
    // their own: this page, loaded before, must not bring "any origin" back when it saves.
    const colleague = await context.newPage();
    await colleague.goto(bot());
    await colleague.getByLabel('Allowed widget origins').fill('https://shop.example');
    await colleague.getByRole('button', { name: 'Save settings' }).click();
    await colleague.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await colleague.close();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('#save-status', { hasText: 'Saved' }).waitFor();
    assert.equal(await urlError.isHidden(), true, 'the old error is gone');
    const saved = await f.server.admin('GET', `/bots/${botId}/custom-auth`);
    assert.equal(saved.enabled, true);
    assert.equal(saved.url, f.customer.url);
    assert.deepEqual(saved.additional_fields, ['user_id']);
    assert.equal(saved.timeout_ms, 3000);
    assert.deepEqual(saved.headers, { 'X-Api-Key': '********' });
    assert.deepEqual(saved.allowed_origins, ['https://shop.example'], "the colleague's origins stay");
    await f.server.admin('PUT', `/bots/${botId}/custom-auth`, { ...saved, allowed_origins: [] });
    // The value is write-only: the form shows a placeholder, and saving again keeps it.
    const value = page.locator('.header-row [data-h=value]').last();
    assert.equal(await value.inputValue(), '');
    assert.match(await value.getAttribute('placeholder'), /unchanged/);
    assert.equal(await page.getByRole('button', { name: 'Send test request' }).isDisabled(), false);
    tracker.check();
  });

  test('testing panel: a new contact, then the existing one after a widget session', async () => {
    await page.reload();
    await page.getByLabel('access_token').fill('tok-alice');
    const userId = page.getByRole('textbox', { name: /user_id/ });
    assert.equal(await userId.isVisible(), true, 'the ticked field has an input');
    assert.equal(await page.getByRole('textbox', { name: /^email/ }).isVisible(), false, 'an unticked one has none');
    await userId.fill('u-1');
    await page.getByRole('button', { name: 'Send test request' }).click();
    await verdict().waitFor();
    assert.match(await verdict().innerText(), /✓ Authenticated/);
    const result = page.locator('#test-result');
    assert.match(await result.innerText(), /new contact/);
    assert.match(await result.innerText(), /POST http:\/\/127\.0\.0\.1:\d+\/auth/);
    assert.match(await result.innerText(), /Status 200/);
    assert.match(await result.innerText(), /"email": "alice@example.com"/, 'the JSON answer is pretty-printed');
    assert.match(await page.locator('#test-curl').innerText(), /^curl /);
    const sent = f.customer.requests.at(-1);
    assert.equal(sent.headers['x-api-key'], 'k-123', 'the stored header value is sent');
    assert.deepEqual(sent.body, { access_token: 'tok-alice', user_id: 'u-1' });
    await page.getByRole('button', { name: 'Copy' }).last().click();
    assert.match(await page.evaluate(() => navigator.clipboard.readText()), /^curl /);
    await screenshot(page, 'dashboard-custom-auth', { fullPage: true });

    const session = await f.server.widgetSession({ bot_id: botId, access_token: 'tok-alice' });
    assert.equal(session.authenticated, true);
    await page.getByRole('button', { name: 'Send test request' }).click();
    await page.locator('#test-result', { hasText: 'existing contact' }).waitFor();
    const link = page.locator('#test-result a', { hasText: 'open the contact' });
    assert.equal(await link.getAttribute('href'), `/contacts/${session.contact.id}`);
    const contactPage = await context.newPage();
    const res = await contactPage.goto(`${f.server.url}${await link.getAttribute('href')}`);
    assert.equal(res.status(), 200, 'the link opens the contact');
    await contactPage.close();
    tracker.check();
  });

  test('replay with curl: the API key is shown only when asked, and the copy then runs as is', async () => {
    const curl = page.locator('#test-curl');
    assert.match(await curl.innerText(), /'x-api-key: \*{8}'/, 'masked at first');
    assert.equal((await page.content()).includes('k-123'), false, 'the value is nowhere in the page');
    const show = page.getByRole('button', { name: 'Show header values' });
    assert.equal(await show.getAttribute('aria-pressed'), 'false');
    await show.click();
    const hide = page.getByRole('button', { name: 'Hide header values' });
    assert.equal(await hide.getAttribute('aria-pressed'), 'true');
    assert.match(await curl.innerText(), /'x-api-key: k-123'/);
    await page.locator('#test-result').scrollIntoViewIfNeeded();
    await screenshot(page, 'dashboard-custom-auth-curl-revealed');
    await page.getByRole('button', { name: 'Copy' }).last().click();
    const command = await page.evaluate(() => navigator.clipboard.readText());
    const before = f.customer.requests.length;
    // Asynchronously: the customer API runs in this very process.
    const { stdout } = await promisify(execFile)('sh', ['-c', command], { timeout: 10_000 });
    const answer = JSON.parse(stdout);
    assert.equal(answer.data.id, 'u-1', 'the replayed call is answered like the test');
    const replayed = f.customer.requests[before];
    assert.equal(replayed.headers['x-api-key'], 'k-123', 'with the real key');
    assert.deepEqual(replayed.body, { access_token: 'tok-alice', user_id: 'u-1' });
    assert.ok(replayed.headers['webhook-signature'], 'and the signature');
    await hide.click();
    assert.match(await curl.innerText(), /'x-api-key: \*{8}'/, 'hidden again');
    const log = await f.server.admin('GET', `/bots/${botId}/auth-attempts`);
    assert.equal(JSON.stringify(log).includes('k-123'), false, 'the attempt log never has it');
    tracker.check();
  });

  test('identify by Email against an answer without email: the reason is spelled out', async () => {
    await page.getByLabel('Identify method').selectOption('email');
    assert.equal(await page.getByRole('button', { name: 'Send test request' }).isDisabled(), true);
    assert.equal(await page.locator('#test-dirty').isVisible(), true, 'the panel says why');
    assert.match(await page.locator('#identify-table tr.current').innerText(), /Email\s+email/);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('#save-status', { hasText: 'Saved' }).waitFor();
    await page.getByLabel('access_token').fill('tok-carol');
    await page.getByRole('textbox', { name: /user_id/ }).fill('');
    await page.getByRole('button', { name: 'Send test request' }).click();
    await page.locator('#test-result .verdict', { hasText: 'auth_missing_identifier' }).waitFor();
    assert.match(await verdict().innerText(), /✗ Not authenticated: auth_missing_identifier/);
    assert.match(await verdict().innerText(), /Identify method is Email but the response has no data\.email\./);
    assert.match(await page.locator('#test-curl').innerText(), /^curl /, 'the curl command is shown');
    await screenshot(page, 'dashboard-custom-auth-missing-id', { fullPage: true });
    tracker.check();
  });

  test('the signing secret: masked, revealed, rotated after a confirmation', async () => {
    const { signing_secret: before } = await f.server.admin('GET', `/bots/${botId}/custom-auth`);
    const secret = page.getByLabel('Secret', { exact: true });
    assert.equal(await secret.getAttribute('type'), 'password');
    await page.getByRole('button', { name: 'Reveal' }).click();
    assert.equal(await secret.getAttribute('type'), 'text');
    assert.equal(await secret.inputValue(), before);
    // The page's tracker dismisses dialogs; this one must be accepted, so it runs first.
    const dialogs = [];
    const accept = (d) => {
      dialogs.push(d.message());
      d.accept().catch(() => {});
    };
    page.prependListener('dialog', accept);
    await page.getByRole('button', { name: 'Rotate' }).click();
    await page.locator('#secret-status', { hasText: 'New secret created' }).waitFor();
    page.off('dialog', accept);
    assert.match(dialogs[0] ?? '', /Rotate the signing secret/);
    tracker.dialogs.length = 0;
    const after = await f.server.admin('GET', `/bots/${botId}/custom-auth`);
    assert.notEqual(after.signing_secret, before);
    assert.equal(await secret.inputValue(), after.signing_secret);
    assert.equal(await page.locator('#previous-secret').isVisible(), true, 'the grace period is shown');
    assert.match(await page.locator('.ca-main').innerText(), /new Webhook\(secret\)\.verify\(rawBody, headers\)/);
    tracker.check();
  });

  test('embed: the snippet carries the ticked fields', async () => {
    await page.goto(bot('/custom-auth'));
    await page.getByRole('checkbox', { name: 'Email' }).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('#save-status', { hasText: 'Saved' }).waitFor();
    await page.getByRole('link', { name: 'Embed' }).click();
    const snippet = page.locator('#snippet-plain');
    await snippet.waitFor();
    const text = await snippet.innerText();
    assert.match(text, new RegExp(`<script src="${f.server.url}/widget.js"`));
    assert.match(text, new RegExp(`data-bot-id="${botId}"`));
    assert.match(text, /data-token="/);
    assert.match(text, /data-user-id="/);
    assert.match(text, /data-email="/);
    assert.doesNotMatch(text, /data-phone-number|data-name/);
    const spa = await page.locator('#snippet-spa').innerText();
    assert.match(spa, /Concierge\('login', \{/);
    assert.match(spa, /Concierge\('logout'\)/);
    assert.match(spa, /onTokenExpired/);
    await page.getByRole('button', { name: 'Copy' }).first().click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);
    await screenshot(page, 'dashboard-embed', { fullPage: true });
    tracker.check();
  });

  test('keyboard and labels: every control is named; the switch works with Space', async () => {
    await page.goto(bot('/custom-auth'));
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
        .filter((e) => e.offsetParent !== null)
        .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim()))
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, []);
    await page.getByLabel('Authentication URL').focus();
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'enabled', 'the switch comes before the URL');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement.nextElementSibling).outlineStyle);
    assert.equal(outline, 'solid', 'the focused switch shows a focus ring');
    await page.keyboard.press('Space');
    assert.equal(await page.getByRole('switch', { name: 'Enabled' }).isChecked(), false);
    assert.equal(await page.getByRole('button', { name: 'Send test request' }).isDisabled(), true);
    tracker.check();
  });

  test('on a 390 px phone the columns stack and nothing scrolls sideways', async () => {
    const phone = await f.browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState() });
    try {
      const p = await phone.newPage();
      const t = trackPage(p);
      await p.goto(bot('/custom-auth'));
      const form = await p.locator('#ca-form').boundingBox();
      const panel = await p.locator('aside.testing').boundingBox();
      assert.ok(panel.y > form.y + form.height, 'the testing panel is under the settings');
      assert.ok(form.width > 300, 'the settings use the width');
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px too wide)`);
      await screenshot(p, 'dashboard-custom-auth-mobile');
      await p.locator('aside.testing').scrollIntoViewIfNeeded();
      await screenshot(p, 'dashboard-custom-auth-mobile-testing');
      t.check();
    } finally {
      await phone.close();
    }
  });
});
