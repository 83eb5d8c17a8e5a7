// The dashboard's front door: first-run setup, signing in and out, creating a bot, and
// forged form posts refused.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { screenshot, setup, setupLink, skipReason } from './harness.mjs';

const EMAIL = 'owner@acme.example';
const PASSWORD = 'correct horse battery staple';

describe('dashboard sign-in', { skip: skipReason() }, () => {
  let f;
  let context;
  let page;
  before(async () => {
    f = await setup();
    context = await f.browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });
  after(async () => {
    await context?.close();
    await f?.close();
  });

  test('first run: the printed setup link creates the first account once', async () => {
    const link = await setupLink(f);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Welcome to Concierge' }).waitFor();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The browser's own minlength check, or ours: either way no account yet.
    assert.match(page.url(), /\/setup/);
    await page.getByLabel('Password').fill(PASSWORD);
    await screenshot(page, 'dashboard-setup');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Bots' }).waitFor();
    assert.match(await page.locator('main').innerText(), /No bots yet/);
    assert.match(await page.locator('header').innerText(), new RegExp(EMAIL));

    // The link is spent, and the page says why: there is an account now.
    const again = await context.newPage();
    const res = await again.goto(link);
    assert.equal(res.status(), 410);
    await again.getByRole('heading', { name: 'An account already exists' }).waitFor();
    assert.doesNotMatch(await again.locator('main').innerText(), /already used/);
    await screenshot(again, 'dashboard-setup-account-exists');
    await again.getByRole('link', { name: 'Sign in' }).click();
    await again.waitForURL(/\/(login|bots)/);
    await again.close();
  });

  test('the dashboard has an icon, and no other site can frame it', async () => {
    await page.goto(`${f.server.url}/bots`);
    const icon = await page.locator('link[rel=icon]').getAttribute('href');
    const res = await context.request.get(new URL(icon, f.server.url).href);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['content-type'], 'image/svg+xml');
    assert.equal((await context.request.get(`${f.server.url}/favicon.ico`)).status(), 200);

    // Clickjacking: another site puts the sign-in page in a frame; the browser refuses.
    const framer = await context.newPage();
    await framer.goto(f.host.page(`<!doctype html><iframe src="${f.server.url}/login" width="600" height="400"></iframe>`));
    await framer.waitForLoadState('load');
    const frame = framer.frames().find((fr) => fr !== framer.mainFrame());
    const framed = await frame.evaluate(() => document.querySelector('input[name=password]') !== null).catch(() => false);
    assert.equal(framed, false, 'the sign-in form does not load inside another site');
    await framer.close();
  });

  test('a bot is created from the dashboard', async () => {
    await page.goto(`${f.server.url}/bots`);
    await page.getByLabel('Name').fill('Acme Support');
    await page.getByRole('button', { name: 'Create bot' }).click();
    await page.getByRole('link', { name: 'Acme Support' }).waitFor();
    await screenshot(page, 'dashboard-bots');
    const { items } = await f.server.admin('GET', '/bots');
    assert.ok(items.some((b) => b.name === 'Acme Support'), 'the bot exists for the admin API too');
  });

  test('forged posts are refused: another site, or no CSRF token', async () => {
    const before = (await f.server.admin('GET', '/bots')).items.length;
    // A page on another origin auto-submits a form to the dashboard.
    const evil = f.host.page(`<!doctype html><form id="f" method="post" action="${f.server.url}/bots">
      <input name="name" value="Forged"><input name="csrf" value="guess"></form>
      <script>document.getElementById('f').submit()</script>`);
    const forged = await context.newPage();
    await forged.goto(evil);
    await forged.waitForLoadState('load');
    await forged.close();
    // The same browser, signed in, posting without the token (as a same-site attacker could).
    const res = await context.request.post(`${f.server.url}/bots`, { form: { name: 'No token', csrf: '' }, maxRedirects: 0 });
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /Request refused/);
    // And the JSON API refuses cookie-authenticated writes without X-CSRF-Token.
    const api = await context.request.post(`${f.server.url}/api/admin/v1/bots`, { data: { name: 'No header' } });
    assert.equal(api.status(), 403);
    assert.equal((await f.server.admin('GET', '/bots')).items.length, before, 'no bot was created');
  });

  test('sign out, a wrong password, then sign in again', async () => {
    await page.goto(`${f.server.url}/bots`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Concierge' }).waitFor();
    const res = await page.goto(`${f.server.url}/bots`);
    assert.match(res.url(), /\/login\?next=%2Fbots/, 'signed-out visitors are sent to sign in');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /Wrong email or password/);
    await screenshot(page, 'dashboard-login-error');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Bots' }).waitFor();
    const cookies = await context.cookies(f.server.url);
    const login = cookies.find((c) => c.name === 'concierge_login');
    assert.ok(login?.httpOnly, 'the sign-in cookie is HttpOnly');
    assert.equal(login.sameSite, 'Lax');
  });
});
