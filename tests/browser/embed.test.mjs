// The script tag: data attributes reach the customer's API (2), a missing or unknown bot
// renders nothing (3), and a bot that blocks on failure asks to sign in (11).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  GREETING,
  eventually,
  openPage,
  plainPage,
  screenshot,
  setup,
  shadowHosts,
  skipReason,
} from './harness.mjs';

describe('embedding with the script tag', { skip: skipReason() }, () => {
  let f;
  before(async () => {
    f = await setup();
  });
  after(async () => {
    await f?.close();
  });

  test('data attributes reach the customer API, and the greeting uses the name from its answer', async (t) => {
    const bot = await f.server.createBot('Acme Help', { greeting: GREETING });
    await f.server.putCustomAuth(bot.id, {
      enabled: true,
      url: f.customer.url,
      additional_fields: ['user_id', 'email', 'name', 'phone_number'],
    });
    const url = f.host.page(
      plainPage({
        serverUrl: f.server.url,
        data: {
          'bot-id': bot.id,
          token: 'tok-alice',
          'user-id': 'page-user-17',
          email: 'page-claims@example.com',
          name: 'Page Claims',
          phone: '+1 (555) 010-9999', // the alias of data-phone-number
        },
      }),
    );
    const { page, tracker, w } = await openPage(f, t, url);
    await w.launcher().click();
    await w.dialog('Acme Help').waitFor();

    const calls = await eventually(
      () => {
        const c = f.customer.requests.filter((r) => r.body?.access_token === 'tok-alice');
        assert.ok(c.length >= 1, 'the customer API was called');
        return c;
      },
      { message: 'customer API call' },
    );
    for (const call of calls) {
      assert.deepEqual(call.body, {
        access_token: 'tok-alice',
        user_id: 'page-user-17',
        email: 'page-claims@example.com',
        name: 'Page Claims',
        phone_number: '+1 (555) 010-9999',
      });
    }
    // The greeting uses the verified name (the API said "Alice"), not the page's claim.
    await eventually(
      async () => {
        const text = await w.dialog('Acme Help').innerText();
        assert.match(text, /Hi Alice! How can we help\?/);
        assert.doesNotMatch(text, /Page Claims/);
      },
      { message: 'greeting with the contact name' },
    );
    const contacts = await f.server.contacts(bot.id);
    assert.deepEqual(
      contacts.map((c) => [c.external_id, c.name, c.email]),
      [['u-1', 'Alice', 'alice@example.com']],
    );
    tracker.check();
  });

  for (const [label, data] of [
    ['an unknown bot id', { 'bot-id': '01a2aaaa-0000-7000-8000-000000000000' }],
    ['no bot id at all', {}],
  ]) {
    test(`${label}: one console warning, nothing rendered, the page keeps working`, async (t) => {
      const url = f.host.page(plainPage({ serverUrl: f.server.url, data }));
      const { page, tracker } = await openPage(f, t, url);
      // The browser itself logs the 404 of the bot lookup; that line is not the widget's.
      tracker.allow(/Failed to load resource: the server responded with a status of 404/);
      await eventually(() => assert.equal(tracker.unexpected().warnings.length, 1, 'one console.warn'), {
        message: 'the widget warns',
      });
      await page.waitForLoadState('networkidle');
      const { warnings } = tracker.unexpected();
      assert.equal(warnings.length, 1, `exactly one warning, got ${JSON.stringify(warnings)}`);
      assert.match(warnings[0], /^\[Concierge\] /, 'the warning says who is talking');
      assert.deepEqual(await shadowHosts(page), [], 'no widget host element');
      assert.equal(await page.getByRole('button', { name: 'Open chat' }).count(), 0, 'no launcher');
      const bodyChildren = await page.evaluate(() =>
        [...document.body.children].map((e) => e.tagName.toLowerCase() + (e.id ? `#${e.id}` : '')),
      );
      assert.deepEqual(
        bodyChildren.filter((e) => e !== 'script'),
        ['main#page-main'],
        'the widget added no element to the page',
      );
      await page.locator('#page-counter').click();
      await page.locator('#page-counter').click();
      assert.equal(await page.locator('#page-counter').innerText(), 'Clicked 2');
      tracker.warnings.splice(0); // the expected warning
      tracker.check();
    });
  }

  test('on_failure=block without a token: the panel shows the sign-in text and no composer', async (t) => {
    const signin = 'Please sign in to your Acme account to chat with us.';
    const bot = await f.server.createBot('Acme Members', { signin_text: signin });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url, on_failure: 'block' });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id } }));
    const { page, tracker, w } = await openPage(f, t, url);
    // If the widget tries a session anyway, the server refuses it with 401 token_required.
    tracker.allow(/Failed to load resource: the server responded with a status of 401/);
    await w.launcher().click();
    const dialog = w.dialog('Acme Members');
    await dialog.waitFor();
    await eventually(async () => assert.match(await dialog.innerText(), /Please sign in to your Acme account/), {
      message: 'sign-in text shown',
    });
    assert.equal(await w.input().count(), 0, 'no message box');
    assert.equal(await w.send().count(), 0, 'no send button');
    await screenshot(page, 'signin-required');
    const requests = f.customer.requests.length;
    await page.locator('#page-counter').click();
    assert.equal(await page.locator('#page-counter').innerText(), 'Clicked 1');
    assert.equal(f.customer.requests.length, requests, 'no call to the customer without a token');
    tracker.check();
  });
});
