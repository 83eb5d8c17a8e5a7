// Contacts (5) and the authentication log (7): what the support team sees after people
// sign in through the widget.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually, screenshot, setup, signUpFirstUser, skipReason } from './harness.mjs';

async function widgetSession(f, botId, accessToken) {
  const res = await fetch(`${f.server.url}/api/widget/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ bot_id: botId, access_token: accessToken }),
  });
  return res.json();
}

describe('contacts and the authentication log', { skip: skipReason() }, () => {
  let f;
  let context;
  let page;
  let bot;
  before(async () => {
    f = await setup();
    context = await f.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await signUpFirstUser(f, page, 'team@acme.example', 'a long enough password');
    bot = await f.server.createBot('Acme Support', {});
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
  });
  after(async () => {
    await context?.close();
    await f?.close();
  });

  test('a contact appears after a widget session, is searchable, and shows its verified profile', async () => {
    await page.goto(`${f.server.url}/contacts?bot=${bot.id}`);
    await page.getByText('No contacts yet').waitFor();

    const session = await widgetSession(f, bot.id, 'tok-alice');
    assert.equal(session.authenticated, true);
    await fetch(`${f.server.url}/api/widget/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.session_token}` },
      body: JSON.stringify({ text: 'Is my invoice ready?' }),
    });
    await widgetSession(f, bot.id, 'tok-bob');

    await page.goto(`${f.server.url}/contacts?bot=${bot.id}`);
    const rows = page.locator('tbody tr');
    assert.equal(await rows.count(), 2);
    await page.getByLabel('Search contacts').fill('ALICE');
    await page.getByRole('button', { name: 'Search' }).click();
    await eventually(async () => assert.equal(await rows.count(), 1));
    await screenshot(page, 'dashboard-contacts');
    await page.getByLabel('Search contacts').fill('nobody-like-this');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No contact matches').waitFor();

    await page.getByLabel('Search contacts').fill('alice');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('tbody a').first().click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    const main = await page.locator('main').innerText();
    assert.match(main, /Profile\s+Verified/);
    assert.match(main, /alice@example\.com/);
    assert.match(await page.locator('pre.json').innerText(), /"plan": "pro"/, 'metadata as formatted JSON');
    assert.match(main, /Is my invoice ready\?/, 'the conversation is shown');
    await screenshot(page, 'dashboard-contact', { fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'dashboard-contact-mobile', { fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('the authentication log lists attempts, filters them and charts outcomes', async () => {
    await widgetSession(f, bot.id, 'tok-expired');
    await page.goto(`${f.server.url}/auth-log?bot=${bot.id}`);
    const caption = await page.locator('figcaption').innerText();
    assert.match(caption, /3 attempts: 2 succeeded, 1 failed/);
    assert.equal(await page.locator('svg rect.ok').count() >= 1, true, 'a bar for the successes');
    assert.equal(await page.locator('svg rect.fail').count(), 1, 'a bar for the failure');
    assert.equal(await page.locator('tbody tr').count(), 3);
    await screenshot(page, 'dashboard-auth-log', { fullPage: true });
    await page.getByLabel('Outcome').selectOption('invalid_token');
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually(async () => assert.equal(await page.locator('tbody tr').count(), 1));
    assert.match(await page.locator('tbody').innerText(), /invalid_token/);
    await page.getByLabel('Period').selectOption('30d');
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually(async () => assert.equal(await page.locator('svg g').count(), 30, 'one bar slot per day'));
  });
});
