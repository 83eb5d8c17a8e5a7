// Colleagues on one inbox: a conversation a colleague took over a moment ago, before this
// tab heard of it, is not taken from them by "Take over"; the agent is told who has it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually, screenshot, setup, signUpFirstUser, skipReason, trackPage } from './harness.mjs';

describe('colleagues on one inbox', { skip: skipReason() }, () => {
  let f;
  let bot;
  let conversation;
  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support');
    // The bot has no articles: it hands the question to the team.
    const s = await f.server.widgetSession({ bot_id: bot.id });
    await f.server.widgetSend(s.session_token, 'Can a person look at my invoice?');
    conversation = s.conversation.id;
    await eventually(async () => assert.ok((await f.server.metric('concierge_bot_turns_total')) >= 1), {
      message: 'the bot handed the question to the team',
    });
  });
  after(async () => {
    await f?.close();
  });

  test('"Take over" on a conversation a colleague has just taken says who has it', async (t) => {
    const context = await f.browser.newContext({ viewport: { width: 1400, height: 900 } });
    t.after(() => context.close());
    const dashboard = await context.newPage();
    dashboard.setDefaultTimeout(10_000);
    // The refusal is a 409 the page expects; the browser logs it as a failed load.
    const tracker = trackPage(dashboard).allow(/Failed to load resource: the server responded with a status of 409/);
    await signUpFirstUser(f, dashboard, 'sam@acme.example', 'a long enough password');
    // This tab's live stream is held up (a slow proxy): it does not hear the colleague.
    let held;
    await dashboard.route('**/events', (route) => { held = route; });
    await dashboard.goto(`${f.server.url}/inbox?bot=${bot.id}&c=${conversation}`);
    await dashboard.getByText('Waiting for a person — the bot is silent.').waitFor();

    // The colleague (the team's admin token) takes it over first.
    await f.server.admin('POST', `/conversations/${conversation}/takeover`);
    await dashboard.getByRole('button', { name: 'Take over' }).click();

    const alert = dashboard.getByRole('alert');
    await eventually(async () => assert.match(await alert.innerText(), /^Support team is answering this conversation\. Replying takes it over from them\.$/), {
      message: 'the agent is told who has it',
    });
    await dashboard.getByText('Support team is answering.', { exact: true }).waitFor();
    assert.equal(await dashboard.getByRole('button', { name: 'Take over' }).isHidden(), true);
    const { items } = await f.server.admin('GET', `/bots/${bot.id}/conversations`);
    assert.equal(items[0].agent_name, 'Support team', 'the colleague keeps it');
    await screenshot(dashboard, 'dashboard-inbox-taken-by-colleague');

    // The stream gets through; the colleague resolves the conversation: the refusal, which
    // named who answered, goes, and it can be taken over.
    await eventually(async () => assert.ok(held, 'the stream was asked for'));
    await held.continue();
    await f.server.admin('POST', `/conversations/${conversation}/handback`);
    await dashboard.getByText('The bot is answering.', { exact: true }).waitFor();
    await eventually(async () => assert.equal(await alert.isHidden(), true), { message: 'the stale refusal goes' });
    await dashboard.getByRole('button', { name: 'Take over' }).click();
    // An account without a name answers as the part of its email before the @.
    await dashboard.getByText('sam is answering.', { exact: true }).waitFor();
    tracker.check();
  });
});
