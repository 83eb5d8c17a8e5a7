// 6. The same signed-in user on two devices (two browser contexts): one history, live both ways.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ACKNOWLEDGE,
  eventually,
  occurrences,
  openPage,
  plainPage,
  screenshot,
  setup,
  skipReason,
} from './harness.mjs';

describe('cross-device history', { skip: skipReason() }, () => {
  let f;
  before(async () => {
    f = await setup();
  });
  after(async () => {
    await f?.close();
  });

  test('a message sent on device A is in device B’s history and arrives live', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));

    const a = await openPage(f, t, url);
    await a.w.open('Acme Support');
    await a.w.input().fill('Sent from my laptop');
    await a.w.input().press('Enter');
    await eventually(async () => assert.match(await a.w.logText(), /Sent from my laptop/), { message: 'A shows its message' });

    // Device B, a separate browser profile (own localStorage, own session), opened afterwards.
    const b = await openPage(f, t, url);
    await b.w.open('Acme Support');
    await eventually(async () => assert.match(await b.w.logText(), /Sent from my laptop/), { message: 'B has the history' });

    // Both open: live in both directions.
    await a.w.input().fill('Live from the laptop');
    await a.w.input().press('Enter');
    await eventually(async () => assert.match(await b.w.logText(), /Live from the laptop/), { message: 'A → B live' });
    await b.w.input().fill('Live from the phone');
    await b.w.input().press('Enter');
    await eventually(async () => assert.match(await a.w.logText(), /Live from the phone/), { message: 'B → A live' });

    // One conversation, no duplicates on either side.
    for (const side of [a, b]) {
      const text = await side.w.logText();
      for (const m of ['Sent from my laptop', 'Live from the laptop', 'Live from the phone']) {
        assert.equal(occurrences(text, m), 1, `"${m}" once in ${text}`);
      }
    }
    // B closes its panel (once every bot answer so far has arrived); A asks again; B's
    // launcher shows the bot's one new answer as unread.
    await eventually(
      async () => assert.equal(occurrences(await b.w.logText(), 'Thanks, Alice!'), 3, 'three bot answers shown'),
      { message: 'bot answers settled' },
    );
    await b.w.closer().first().click();
    await b.w.launcher().waitFor();
    const badge = b.page.getByRole('img', { name: /unread message/ });
    assert.equal(await badge.count(), 0, 'no unread badge yet');
    await a.w.input().fill('One more question');
    await a.w.input().press('Enter');
    await badge.waitFor({ state: 'visible' });
    assert.equal(await badge.getAttribute('aria-label'), '1 unread message');
    assert.equal((await badge.innerText()).trim(), '1');
    await screenshot(b.page, 'unread-badge');
    await b.w.launcher().click();
    await badge.waitFor({ state: 'hidden' });
    await eventually(async () => assert.match(await b.w.logText(), /One more question/), { message: 'B sees it' });

    const keyA = JSON.parse((await a.page.evaluate((k) => localStorage.getItem(k), `concierge:${bot.id}`)) ?? '{}');
    const keyB = JSON.parse((await b.page.evaluate((k) => localStorage.getItem(k), `concierge:${bot.id}`)) ?? '{}');
    assert.ok(keyA.token && keyB.token && keyA.token !== keyB.token, 'two devices, two sessions');
    assert.equal((await f.server.contacts(bot.id)).length, 1, 'one contact');
    a.tracker.check();
    b.tracker.check();
  });
});
