// Development → Identity (issue 14): the identity modes beside the seed's Custom
// Authentication call, in the dashboard. A bot is switched to signed user tokens (a refused
// JWKS URL shown next to its field, a key added and revealed, a token signed here with
// node:crypto tried in the testing panel), then to identity hashes (an HMAC computed here,
// the secret rotated), then to token introspection against a provider on loopback, and back
// to the call; the embed page shows the attributes of the mode in use.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import AxeBuilder from '@axe-core/playwright';

import { screenshot, setup, signUpFirstUser, skipReason, trackPage } from './harness.mjs';

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact HS256 JWS, signed with the key's secret text as the HMAC key. */
function signHs256(claims, { kid, secret }) {
  const signed = `${b64url({ alg: 'HS256', typ: 'JWT', kid })}.${b64url(claims)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

const hmacHex = (secret, text) => createHmac('sha256', secret).update(text).digest('hex');

/**
 * An OAuth identity provider on loopback: discovery, userinfo (OpenID Connect) and
 * introspection (RFC 7662). `oauth-ivy` is Ivy's access token; every other token is not.
 */
async function startProvider() {
  const requests = [];
  const ivy = { sub: 'u-77', email: 'ivy@acme.example', email_verified: true, name: 'Ivy' };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const json = (status, value) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const bearer = req.headers.authorization?.match(/^Bearer (.*)$/)?.[1];
      const token = bearer ?? new URLSearchParams(body).get('token');
      requests.push({ path: req.url, authorization: req.headers.authorization, token });
      if (req.url === '/.well-known/openid-configuration') {
        return json(200, { issuer: base, userinfo_endpoint: `${base}/userinfo`, introspection_endpoint: `${base}/introspect` });
      }
      if (req.url === '/userinfo') return token === 'oauth-ivy' ? json(200, ivy) : json(401, { error: 'invalid_token' });
      json(200, token === 'oauth-ivy' ? { active: true, scope: 'chat', client_id: 'shop-web', ...ivy } : { active: false });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, requests, close: () => server.close() };
}

describe('the Identity page', { skip: skipReason() }, () => {
  let f;
  let provider;
  let context;
  let page;
  let tracker;
  let botId;
  let kid;
  const identityUrl = () => `${f.server.url}/bots/${botId}/custom-auth`;
  const stored = () => f.server.admin('GET', `/bots/${botId}/identity`);
  const verdict = () => page.locator('#test-result .verdict');
  const save = () => page.getByRole('button', { name: 'Save', exact: true }).click();
  const sendTest = () => page.getByRole('button', { name: 'Send test request' }).click();

  /** Runs `action`, accepting the confirmation it asks for; returns the dialogs' texts. */
  async function confirming(action) {
    const texts = [];
    const accept = (d) => {
      texts.push(d.message());
      d.accept().catch(() => {});
    };
    page.prependListener('dialog', accept);
    try {
      await action();
    } finally {
      page.off('dialog', accept);
      tracker.dialogs.length = 0;
    }
    return texts;
  }

  async function assertAccessible(what) {
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const found = violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
    assert.deepEqual(found, [], `${what}: axe found WCAG 2.1 A/AA violations`);
  }

  before(async () => {
    [f, provider] = await Promise.all([setup(), startProvider()]);
    context = await f.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: f.server.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // A refused save (422) is the browser's own console line.
    tracker = trackPage(page).allow(/the server responded with a status of 4\d\d/);
    await signUpFirstUser(f, page, 'dev@acme.example', 'correct horse battery staple');
    botId = (await f.server.createBot('Acme Support')).id;
  });
  after(async () => {
    await context?.close();
    await f?.close();
    provider?.close();
  });

  test('the Identity tab: five modes, the Custom Authentication call chosen by default', async () => {
    await page.goto(`${f.server.url}/bots/${botId}`);
    await page.getByRole('navigation', { name: 'Bot' }).getByRole('link', { name: 'Identity' }).click();
    assert.equal(new URL(page.url()).pathname, `/bots/${botId}/custom-auth`, 'the route stays');
    assert.match(await page.title(), /^Identity · Acme Support/);
    await page.getByRole('heading', { name: 'How visitors are identified' }).waitFor();
    const modes = page.getByRole('radiogroup', { name: 'How visitors are identified' }).getByRole('radio');
    const names = await modes.evaluateAll((radios) => radios.map((r) => r.labels[0].querySelector('.mode-name').textContent));
    assert.deepEqual(names, [
      'Custom Authentication call (default)',
      'Signed user token (JWT)',
      'Identity hash (HMAC)',
      'OpenID Connect userinfo',
      'OAuth 2.0 token introspection',
    ]);
    assert.equal(await page.getByRole('radio', { name: /Custom Authentication call/ }).isChecked(), true);
    assert.match(await page.locator('#mode-status').innerText(), /switched off/, 'a new bot identifies nobody yet');
    assert.equal(await page.getByLabel('Authentication URL').isVisible(), true, "the seed's form is shown");
    assert.equal(await page.getByLabel('JWKS URL').isVisible(), false);
    tracker.check();
  });

  test('JWT: a refused JWKS URL is shown next to its field; nothing is switched until saved', async () => {
    await page.getByRole('radio', { name: /Signed user token/ }).check();
    assert.equal(await page.getByLabel('Authentication URL').isVisible(), false, "the call's own settings go away");
    assert.equal(await page.getByRole('heading', { name: 'Signing secret' }).isVisible(), false);
    assert.match(await page.locator('#mode-status').innerText(), /^Not saved yet: Custom Authentication call is still the chosen way/);
    assert.equal(await page.getByRole('button', { name: 'Send test request' }).isDisabled(), true, 'unsaved');
    await page.getByRole('switch', { name: 'Enabled' }).check();
    await page.getByRole('checkbox', { name: 'RS256' }).check();
    await page.getByLabel('JWKS URL').fill('ftp://keys.example/jwks.json');
    await save();
    const error = page.locator('#jwt-jwks_url-error');
    await error.waitFor();
    assert.ok((await error.innerText()).length > 5, 'the error says something');
    assert.equal(await page.getByLabel('JWKS URL').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'jwt-jwks_url', 'the focus goes to it');
    assert.equal((await stored()).mode, 'custom_auth', 'nothing was saved');

    await page.getByRole('checkbox', { name: 'RS256' }).uncheck();
    await page.getByLabel('JWKS URL').fill('');
    await page.getByLabel('Required issuer (iss)').fill('https://acme.example');
    await save();
    await page.locator('#save-status', { hasText: 'Saved' }).waitFor();
    assert.equal(await error.isHidden(), true, 'the old error is gone');
    const saved = await stored();
    assert.equal(saved.mode, 'jwt');
    assert.equal(saved.enabled, true);
    assert.deepEqual(saved.jwt.algorithms, ['HS256']);
    assert.equal(saved.jwt.issuer, 'https://acme.example');
    assert.equal(await page.locator('#mode-status').innerText(), 'Visitors are identified by Signed user token (JWT).');
    const inUse = page.locator('.mode-option', { has: page.getByRole('radio', { name: /Signed user token/ }) }).locator('[data-in-use]');
    assert.equal(await inUse.innerText(), 'In use');
    assert.equal(await page.getByRole('button', { name: 'Send test request' }).isDisabled(), false);
    await screenshot(page, 'dashboard-identity-jwt', { fullPage: true });
    tracker.check();
  });

  test('JWT keys: one is added, revealed and copied; the old one is deleted after a confirmation', async () => {
    const rows = page.locator('#jwt-keys li');
    assert.equal(await rows.count(), 1, 'a bot starts with one key');
    const first = (await stored()).jwt.keys[0].kid;
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.locator('#jwt-keys-status', { hasText: 'added' }).waitFor();
    assert.equal(await rows.count(), 2);
    const keys = (await stored()).jwt.keys;
    kid = keys[1].kid;
    const secret = page.getByLabel(`Secret of key ${kid}`, { exact: true });
    assert.equal(await secret.getAttribute('type'), 'password', 'masked');
    await page.getByRole('button', { name: `Reveal the secret of key ${kid}` }).click();
    assert.equal(await secret.getAttribute('type'), 'text');
    assert.equal(await secret.inputValue(), keys[1].secret);
    await page.getByRole('button', { name: `Copy the secret of key ${kid}` }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), keys[1].secret);

    const asked = await confirming(() => page.getByRole('button', { name: `Delete key ${first}` }).click());
    assert.match(asked[0] ?? '', /refused from now on/);
    await page.locator('#jwt-keys-status', { hasText: 'deleted' }).waitFor();
    assert.equal(await rows.count(), 1);
    assert.deepEqual((await stored()).jwt.keys.map((k) => k.kid), [kid]);
    tracker.check();
  });

  test('JWT testing panel: a signed token decoded, verified and matched; an expired one refused', async () => {
    const { secret } = (await stored()).jwt.keys[0];
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'u-42', email: 'jo@acme.example', name: 'Jo', iss: 'https://acme.example', iat: now, exp: now + 600 };
    await page.getByLabel('access_token').fill(signHs256(claims, { kid, secret }));
    await sendTest();
    await verdict().waitFor();
    assert.match(await verdict().innerText(), /✓ Authenticated/);
    const result = page.locator('#test-result');
    const header = JSON.parse(await result.locator('section.token pre').first().innerText());
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT', kid });
    const shown = JSON.parse(await result.locator('section.token pre').last().innerText());
    assert.deepEqual(shown, claims);
    assert.match(await result.locator('.token-verdict').innerText(), /^Valid: signature verified/);
    assert.match(await result.innerText(), /Identifier \(Id\)\s+u-42/);
    assert.match(await result.innerText(), /new contact/);
    await page.locator('#test-result').scrollIntoViewIfNeeded();
    await screenshot(page, 'dashboard-identity-tested');

    await page.getByLabel('access_token').fill(signHs256({ ...claims, iat: now - 7200, exp: now - 3600 }, { kid, secret }));
    await sendTest();
    await page.locator('#test-result .verdict', { hasText: 'token_expired' }).waitFor();
    assert.match(await page.locator('.token-verdict').innerText(), /^Refused \(token_expired\)/);
    tracker.check();
  });

  test('identity hash: the hashed field follows the identify method; an HMAC made here is accepted', async () => {
    await page.getByRole('radio', { name: /Identity hash/ }).check();
    assert.equal(await page.getByLabel('JWKS URL').isVisible(), false);
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Identity hash secret' }) });
    assert.match(await card.innerText(), /exact text of user_id, which the page passes as data-user-id/);
    await page.getByLabel('Identify method').selectOption('email');
    assert.match(await card.innerText(), /exact text of email, which the page passes as data-email/);
    await page.getByLabel('Identify method').selectOption('id');
    await save();
    await page.locator('#save-status', { hasText: 'Saved' }).waitFor();
    assert.equal((await stored()).mode, 'identity_hash');

    await page.getByRole('button', { name: 'Reveal' }).click();
    const secret = await page.getByLabel('Secret key').inputValue();
    assert.equal(secret, (await stored()).identity_hash.secret);
    assert.equal(await page.getByLabel('access_token').isVisible(), false, 'no token in this mode');
    await page.getByRole('textbox', { name: /^user_id/ }).fill('u-42');
    await page.getByRole('textbox', { name: /^user_hash/ }).fill(hmacHex(secret, 'u-42'));
    await sendTest();
    await page.locator('#test-result .verdict', { hasText: 'Authenticated' }).waitFor();
    assert.match(await verdict().innerText(), /✓ Authenticated/);
    assert.match(await page.locator('#test-result').innerText(), /Identifier \(Id\)\s+u-42/);
    await screenshot(page, 'dashboard-identity-hash', { fullPage: true });

    const asked = await confirming(() => page.getByRole('button', { name: 'Rotate' }).click());
    assert.match(asked[0] ?? '', /keep working for the rotation grace period/);
    await page.locator('#hash-secret-status', { hasText: 'New secret' }).waitFor();
    assert.match(await page.locator('#hash-secret-status').innerText(), /accepted until/);
    const fresh = await page.getByLabel('Secret key').inputValue();
    assert.notEqual(fresh, secret);
    // The old hash, still accepted during the grace period; a wrong one refused.
    await sendTest();
    await page.locator('#test-result .verdict', { hasText: 'Authenticated' }).waitFor();
    await page.getByRole('textbox', { name: /^user_hash/ }).fill(hmacHex(fresh, 'u-43'));
    await sendTest();
    await page.locator('#test-result .verdict', { hasText: 'hash_mismatch' }).waitFor();
    tracker.check();
  });

  test('embed: the snippet carries data-user-id and data-user-hash, not data-token', async () => {
    await page.getByRole('link', { name: 'Embed' }).click();
    const snippet = page.locator('#snippet-plain');
    await snippet.waitFor();
    const text = await snippet.innerText();
    assert.match(text, /data-user-id="USER_ID"/);
    assert.match(text, /data-user-hash="/);
    assert.doesNotMatch(text, /data-token/);
    const spa = await page.locator('#snippet-spa').innerText();
    assert.match(spa, /userHash: /);
    assert.doesNotMatch(spa, /onTokenExpired/, 'a hash does not expire');
    await screenshot(page, 'embed-identity-hash', { fullPage: true });
    tracker.check();
  });

  test('the inbox: the verified contact, and what the page said beside it, marked unverified', async () => {
    const { secret } = (await stored()).identity_hash;
    const started = await fetch(`${f.server.url}/api/widget/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        bot_id: botId,
        user_id: 'u-7',
        user_hash: hmacHex(secret, 'u-7'),
        email: 'mallory@evil.example',
        name: 'Mallory',
      }),
    }).then((r) => r.json());
    assert.equal(started.authenticated, true, JSON.stringify(started));
    assert.equal(started.contact.name, null, "the page's name is not the contact's");
    const sent = await fetch(`${f.server.url}/api/widget/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${started.session_token}` },
      body: JSON.stringify({ text: 'I need to change my delivery address.' }),
    });
    assert.equal(sent.status, 201);
    await page.goto(`${f.server.url}/inbox?bot=${botId}&c=${started.conversation.id}`);
    const aside = page.getByRole('complementary', { name: 'Contact' });
    const said = aside.getByRole('region', { name: /From the page/ });
    await said.waitFor();
    assert.match(await said.innerText(), /Unverified[\s\S]*Email\s+mallory@evil\.example[\s\S]*Name\s+Mallory/);
    assert.match(await aside.innerText(), /Id\s+u-7/, 'the verified identifier above it');
    await screenshot(page, 'inbox-page-fields');
    tracker.check();
  });

  test('introspection: missing settings named field by field; then the request and answer in the panel', async () => {
    await page.goto(identityUrl());
    await page.getByRole('radio', { name: /token introspection/ }).check();
    await save();
    for (const field of ['introspection-endpoint', 'introspection-client_id', 'introspection-client_secret']) {
      await page.locator(`#${field}-error`).waitFor();
    }
    assert.equal((await stored()).mode, 'identity_hash', 'nothing was saved');
    await page.getByLabel('Introspection endpoint').fill(`${provider.base}/introspect`);
    await page.getByLabel('Client ID').fill('concierge');
    await page.getByLabel('Client secret').fill('s3cret');
    await save();
    await page.locator('#save-status', { hasText: 'Saved' }).waitFor();
    const saved = await stored();
    assert.equal(saved.mode, 'introspection');
    assert.equal(saved.introspection.client_secret_set, true);
    assert.equal(await page.getByLabel('Client secret').inputValue(), '', 'write-only: the field is emptied');
    assert.match(await page.locator('#introspection-client_secret-hint').innerText(), /Stored/);

    await page.getByLabel('access_token').fill('oauth-ivy');
    await sendTest();
    await page.locator('#test-result .verdict', { hasText: 'Authenticated' }).waitFor();
    const result = await page.locator('#test-result').innerText();
    assert.match(result, new RegExp(`POST ${provider.base}/introspect`));
    assert.match(result, /"active": true/, "the provider's answer, pretty-printed");
    assert.doesNotMatch(result, /s3cret|oauth-ivy/, 'neither the secret nor the token is shown');
    assert.equal(provider.requests.at(-1).authorization, `Basic ${Buffer.from('concierge:s3cret').toString('base64')}`);

    // Only the shop's own tokens: the panel says why another application's is refused.
    await page.getByLabel('Only tokens issued to').fill('shop-app');
    await save();
    await page.locator('#save-status', { hasText: 'Saved' }).waitFor();
    assert.equal((await stored()).introspection.token_client_id, 'shop-app');
    await sendTest();
    await page.locator('#test-result', { hasText: 'The token was issued to "shop-web", not to "shop-app"' }).waitFor();
    await page.getByLabel('Only tokens issued to').scrollIntoViewIfNeeded();
    await screenshot(page, 'dashboard-identity-introspection');
    tracker.check();
  });

  test('OpenID Connect userinfo: the issuer discovered, the token shown to the userinfo endpoint', async () => {
    await page.getByRole('radio', { name: /OpenID Connect/ }).check();
    assert.equal(await page.getByRole('checkbox', { name: 'Only take the email when email_verified is true' }).isChecked(), true);
    await page.getByLabel('Issuer URL', { exact: true }).fill(provider.base);
    await page.getByLabel('Identify method').selectOption('email');
    await save();
    await page.locator('#save-status', { hasText: 'Saved' }).waitFor();
    const saved = await stored();
    assert.equal(saved.mode, 'oidc_userinfo');
    assert.equal(saved.identify_method, 'email');
    await page.getByLabel('access_token').fill('oauth-ivy');
    await sendTest();
    await page.locator('#test-result .verdict', { hasText: 'Authenticated' }).waitFor();
    const result = await page.locator('#test-result').innerText();
    assert.match(result, /Identifier \(Email\)\s+ivy@acme\.example/);
    assert.match(result, new RegExp(`GET ${provider.base}/userinfo`));
    assert.match(result, /"email_verified": true/);
    assert.equal(provider.requests.at(-1).authorization, 'Bearer oauth-ivy', 'the token goes to the provider only');
    await page.getByLabel('access_token').fill('oauth-nobody');
    await sendTest();
    await page.locator('#test-result .verdict', { hasText: 'invalid_token' }).waitFor();
    await page.getByLabel('Identify method').selectOption('id');
    tracker.check();
  });

  test('back to the Custom Authentication call: saving its form makes it the mode in use', async () => {
    await page.getByRole('radio', { name: /Custom Authentication call/ }).check();
    assert.equal(await page.getByLabel('Authentication URL').isVisible(), true);
    assert.match(await page.locator('#switch-hint').innerText(), /Saving also switches/);
    await save();
    await page.locator('#url-error', { hasText: 'Authentication URL' }).waitFor();
    assert.match(await page.locator('#form-alert').innerText(), /still identified by OpenID Connect userinfo/);
    assert.equal((await stored()).mode, 'oidc_userinfo', 'without a URL the call cannot identify anyone');
    await page.getByLabel('Authentication URL').fill(f.customer.url);
    await save();
    await page.locator('#save-status', { hasText: 'now identified by Custom Authentication call' }).waitFor();
    assert.equal((await stored()).mode, 'custom_auth');
    await page.getByLabel('access_token').fill('tok-alice');
    await sendTest();
    await page.locator('#test-result .verdict', { hasText: 'Authenticated' }).waitFor();
    assert.match(await page.locator('#test-result').innerText(), /Replay with curl/, "the call's own panel");
    tracker.check();
  });

  test('every mode passes axe, names every control, and fits a phone', async () => {
    await page.goto(identityUrl());
    for (const mode of ['Signed user token', 'Identity hash', 'OpenID Connect', 'token introspection']) {
      await page.getByRole('radio', { name: new RegExp(mode) }).check();
      await assertAccessible(mode);
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
          .filter((e) => e.offsetParent !== null)
          .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim()))
          .map((e) => e.outerHTML.slice(0, 80)),
      );
      assert.deepEqual(unnamed, [], mode);
    }
    // The radio group is one tab stop; the arrow keys choose.
    await page.getByRole('radio', { name: /Signed user token/ }).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getByRole('radio', { name: /Identity hash/ }).isChecked(), true);
    assert.equal(await page.getByRole('heading', { name: 'Identity hash secret' }).isVisible(), true);

    const phone = await f.browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState() });
    try {
      const p = await phone.newPage();
      const t = trackPage(p);
      await p.goto(identityUrl());
      await p.getByRole('radio', { name: /Signed user token/ }).check();
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px too wide)`);
      await screenshot(p, 'dashboard-identity-mobile', { fullPage: true });
      t.check();
    } finally {
      await phone.close();
    }
    tracker.check();
  });
});
