// The inbox past its first page: a busy bot's oldest conversation, and a long
// conversation read back to its first question.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually, screenshot, setup, signUpFirstUser, skipReason, trackPage } from './harness.mjs';

describe('a busy inbox', { skip: skipReason() }, () => {
  let f;
  let bot;
  let first; // the first visitor's conversation: the oldest, and the longest
  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support');
    // 103 visitors ask; the bot, with no articles, hands each to the team.
    for (let i = 0; i < 103; i += 1) {
      const s = await f.server.widgetSession({ bot_id: bot.id });
      await f.server.widgetSend(s.session_token, `Question number ${i}`);
      if (i === 0) first = s.conversation.id;
    }
    await eventually(async () => assert.ok((await f.server.metric('concierge_bot_turns_total')) >= 103), {
      message: 'the bot is done with every question', timeout: 60_000,
    });
    // A long conversation with the first visitor: 210 answers of the team.
    for (let i = 0; i < 210; i += 1) {
      await f.server.admin('POST', `/conversations/${first}/messages`, { text: `Answer number ${i}` });
    }
  });
  after(async () => {
    await f?.close();
  });

  test('an agent reaches the oldest conversation and reads a long one back to its first question', async (t) => {
    const context = await f.browser.newContext({ viewport: { width: 1400, height: 900 } });
    t.after(() => context.close());
    const dashboard = await context.newPage();
    dashboard.setDefaultTimeout(10_000);
    const tracker = trackPage(dashboard);
    await signUpFirstUser(f, dashboard, 'sam@acme.example', 'a long enough password');
    await dashboard.goto(`${f.server.url}/inbox?bot=${bot.id}`);
    const entries = dashboard.locator('#conversations a');
    await eventually(async () => assert.equal(await entries.count(), 100), { message: 'a first page of conversations' });
    // The waiting conversations come first, newest first; the first visitor's, which a
    // person took over by answering, comes after all of them: on no first page.
    const oldest = dashboard.locator(`#conversations a[data-id="${first}"]`);
    assert.equal(await oldest.count(), 0, 'not on the first page');
    const older = dashboard.getByRole('button', { name: 'Show older conversations' });
    await older.click();
    await eventually(async () => assert.equal(await entries.count(), 103), { message: 'the older conversations' });
    assert.equal(await older.isHidden(), true, 'nothing older');
    assert.match(await oldest.innerText(), /Support team is answering[\s\S]*Answer number 209/);

    // The long conversation shows its newest 200 messages; the rest is a button away, and
    // what the agent was reading stays where it was.
    await dashboard.goto(`${f.server.url}/inbox?bot=${bot.id}&c=${first}`);
    const texts = () => dashboard.locator('#thread .msg .text').allInnerTexts();
    assert.equal((await texts()).length, 200);
    assert.equal((await texts()).at(-1), 'Answer number 209');
    const earlier = dashboard.getByRole('button', { name: 'Show earlier messages' });
    await dashboard.locator('#thread .msg', { hasText: 'Answer number 20' }).first().scrollIntoViewIfNeeded();
    const reading = dashboard.locator('#thread .msg', { hasText: 'Answer number 20' }).first();
    const before = (await reading.boundingBox()).y;
    await earlier.click();
    await eventually(async () => assert.equal((await texts()).length, 212), { message: 'the earlier messages' });
    const shown = await texts();
    assert.equal(shown[0], 'Question number 0', 'back to the first question');
    assert.deepEqual(shown.slice(2, 5), ['Answer number 0', 'Answer number 1', 'Answer number 2']);
    assert.ok(Math.abs((await reading.boundingBox()).y - before) < 2, 'the message being read did not move');
    const start = dashboard.getByRole('button', { name: 'Start of the conversation' });
    assert.equal(await start.isDisabled(), true, 'nothing earlier');
    await dashboard.locator('#thread').evaluate((el) => { el.scrollTop = 0; });
    await screenshot(dashboard, 'dashboard-inbox-earlier-messages');
    tracker.check();
  });
});
