// The inbox (6): conversations appear live, an agent's reply reaches the widget open in
// another browser context in real time, and who answers is always visible: the bot, the
// team (waiting, the bot silent), or the person who took over. Resolving hands back to
// the bot.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  NETWORK_NOISE, eventually, openPage, plainPage, screenshot, setup, setupLink, signUpFirstUser, skipReason, trackPage,
} from './harness.mjs';

/** Every message of the open thread (at least `count`) shows its time in Auckland, 24-hour. */
async function assertTimesInAuckland(dashboard, count) {
  const auckland = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: '2-digit', timeZone: 'Pacific/Auckland' });
  const times = await dashboard.locator('#thread .msg').evaluateAll((ms) =>
    ms.map((m) => ({ datetime: m.querySelector('time')?.dateTime, text: m.querySelector('time')?.textContent })));
  assert.ok(times.length >= count, JSON.stringify(times));
  for (const { datetime, text } of times) {
    assert.match(datetime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'a machine-readable datetime');
    assert.equal(text, auckland.format(new Date(datetime)), `${datetime} in Auckland`);
  }
}

describe('the inbox', { skip: skipReason() }, () => {
  let f;
  let bot;
  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support', { color: '#0f766e' });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    // The knowledge base stays empty: the bot is not sure and hands questions to the team.
    // An urgent message goes to the team with high priority.
    await f.server.patchBot(bot.id, {
      rules: [
        {
          name: 'Urgent',
          when: [{ path: 'message', op: 'contains', value: 'urgent' }],
          then: { action: 'handoff', priority: 'high' },
        },
      ],
    });
  });
  after(async () => {
    await f?.close();
  });

  test('a visitor writes, the agent sees it live, replies, and the widget shows the reply at once', async (t) => {
    // The agent works from Auckland in British English: 24-hour times, far from the server's UTC.
    const agentContext = await f.browser.newContext({
      viewport: { width: 1400, height: 900 }, locale: 'en-GB', timezoneId: 'Pacific/Auckland',
    });
    t.after(() => agentContext.close());
    const dashboard = await agentContext.newPage();
    dashboard.setDefaultTimeout(10_000);
    const dashboardTracker = trackPage(dashboard);
    // The first account, with the name visitors see on its answers.
    await dashboard.goto(await setupLink(f));
    await dashboard.getByLabel('Email').fill('sam@acme.example');
    await dashboard.getByLabel('Your name').fill('Sam');
    await dashboard.getByLabel('Password').fill('a long enough password');
    await dashboard.getByRole('button', { name: 'Create account' }).click();
    await dashboard.getByRole('heading', { name: 'Bots' }).waitFor();
    await dashboard.goto(`${f.server.url}/inbox`);
    // The bot picker applies with its button, not as soon as it changes (WCAG 3.2.2).
    await dashboard.getByLabel('Bot').selectOption(bot.id);
    await dashboard.getByRole('button', { name: 'Show' }).click();
    await dashboard.waitForURL(new RegExp(`/inbox\\?bot=${bot.id}`));
    await dashboard.getByText('No conversations yet').waitFor();

    // The end user, in another browser context, on the customer's site.
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    await w.launcher().click();
    await w.input().fill('Can a person help me with my refund?');
    await w.input().press('Enter');
    // Nothing in the knowledge base: the bot says it is not sure and waits for the team.
    await eventually(async () => assert.match(await w.logText(), /I'm not sure I can answer that one/), {
      message: 'the bot handed the question to the team',
    });

    // It appears in the inbox without a reload, waiting for a person.
    const item = dashboard.locator('#conversations a', { hasText: 'Alice' });
    await item.waitFor();
    await eventually(async () => assert.match(await item.innerText(), /Waiting/), { message: 'the Waiting badge' });
    assert.doesNotMatch(await item.innerText(), /High priority/);
    await item.click();
    await dashboard.getByRole('heading', { name: 'Alice', exact: true, level: 1 }).waitFor();
    assert.match(await dashboard.locator('.inbox-contact').innerText(), /alice@example\.com/);
    assert.match(await dashboard.locator('.inbox-contact pre.json').innerText(), /"plan": "pro"/);
    await dashboard.getByText('Waiting for a person — the bot is silent.').waitFor();
    // The page came with its messages and their times in UTC; the script wrote them the
    // agent's way.
    await assertTimesInAuckland(dashboard, 2);
    assert.ok(await dashboard.getByRole('button', { name: 'Take over' }).isVisible());
    assert.ok(await dashboard.getByRole('button', { name: 'Resolve' }).isVisible());

    await dashboard.getByRole('button', { name: 'Take over' }).click();
    await dashboard.getByText('Sam is answering.').waitFor();
    assert.ok(await dashboard.getByRole('button', { name: 'Take over' }).isHidden());
    await dashboard.getByLabel('Reply').fill('Hi Alice, Sam here. Your refund is on its way.');
    await dashboard.getByRole('button', { name: 'Send' }).click();
    await eventually(async () => assert.match(await w.logText(), /Sam here\. Your refund is on its way\./), {
      message: 'the agent reply reached the widget',
    });
    const mine = dashboard.locator('#thread .msg.agent').last();
    assert.equal(await mine.locator('.author').innerText(), 'Sam', 'agent answers show who wrote them');
    await eventually(async () => assert.match(await item.innerText(), /Sam is answering/), { message: 'the list says who answers' });
    await screenshot(dashboard, 'dashboard-inbox');
    await screenshot(page, 'widget-agent-reply');
    await dashboard.setViewportSize({ width: 390, height: 844 });
    await screenshot(dashboard, 'dashboard-inbox-mobile', { fullPage: true });
    await dashboard.setViewportSize({ width: 1400, height: 900 });

    // The visitor answers; the dashboard shows it live and the bot stays quiet: once the bot
    // is done with both of the visitor's messages (its turn counter), nothing of it follows
    // the visitor's, stored or shown.
    await w.input().fill('Thank you!');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await dashboard.locator('#thread').innerText(), /Thank you!/), {
      message: 'the visitor message reached the dashboard',
    });
    await eventually(async () => assert.ok((await f.server.metric('concierge_bot_turns_total')) >= 2), {
      message: 'the bot is done with both visitor messages',
    });
    const [listed] = (await f.server.admin('GET', `/bots/${bot.id}/conversations`)).items;
    const stored = (await f.server.admin('GET', `/conversations/${listed.conversation_id}/messages`)).items;
    assert.deepEqual(
      stored.slice(-2).map((m) => [m.author, m.text]),
      [['agent', 'Hi Alice, Sam here. Your refund is on its way.'], ['visitor', 'Thank you!']],
      'the bot stayed silent while Sam answers',
    );
    // Messages that arrived live (Sam's reply, Alice's thanks) have their time too.
    await eventually(() => assertTimesInAuckland(dashboard, 4), { message: 'live messages show their time' });
    const authors = await dashboard.locator('#thread .msg').evaluateAll((ms) => ms.map((m) => m.classList[1]));
    assert.equal(authors.at(-1), 'visitor', 'the dashboard shows nothing of the bot either');

    // Resolved: the bot answers again. An urgent message goes straight back to the team,
    // with high priority, and the inbox shows it live.
    await dashboard.getByRole('button', { name: 'Resolve' }).click();
    await dashboard.getByText('The bot is answering.').waitFor();
    assert.ok(await dashboard.getByRole('button', { name: 'Resolve' }).isHidden());
    await w.input().fill('URGENT: my order never arrived');
    await w.input().press('Enter');
    await dashboard.getByText('Waiting for a person — the bot is silent.').waitFor();
    await eventually(async () => assert.match(await item.innerText(), /Waiting[\s\S]*High priority/), {
      message: 'the list shows the high priority',
    });
    assert.ok(await dashboard.locator('.thread-head').getByText('High priority').isVisible());
    await eventually(async () => assert.match(await w.logText(), /I'm bringing in a person from our team/), {
      message: 'the bot told the visitor',
    });
    await screenshot(dashboard, 'dashboard-inbox-waiting');

    // On a slow link, Enter pressed twice sends the reply once.
    const replies = '**/api/admin/v1/conversations/*/messages';
    await dashboard.route(replies, async (route) => {
      if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 500));
      await route.continue();
    });
    await dashboard.getByLabel('Reply').fill('One moment, please.');
    await dashboard.getByLabel('Reply').press('Enter');
    await dashboard.getByLabel('Reply').press('Enter');
    await eventually(async () => assert.match(await w.logText(), /One moment, please\./), { message: 'the reply arrived' });
    await dashboard.waitForTimeout(1_000);
    await dashboard.unroute(replies);
    const sent = (await f.server.admin('GET', `/conversations/${listed.conversation_id}/messages`)).items
      .filter((m) => m.text === 'One moment, please.');
    assert.equal(sent.length, 1, 'sent once');
    tracker.check();
    dashboardTracker.check();
  });
});

/** The conversation list as the agent sees it: who, the badges, the latest message. */
const shownList = (page) =>
  page.locator('#conversations a').evaluateAll((as) =>
    as.map((a) => [a.querySelector('.conv-who').textContent, a.querySelector('.conv-badges').textContent,
      a.querySelector('.conv-last').textContent]));

/** The same, from the admin API: what the server lists, in its order. */
async function listedByServer(f, bot) {
  const { items } = await f.server.admin('GET', `/bots/${bot}/conversations`);
  return items.map((i) => [
    i.contact_name || i.contact_email || 'Visitor',
    (i.handled_by === 'waiting' ? 'Waiting' : '') + (i.priority === 'high' ? 'High priority' : '') +
      (i.handled_by === 'agent' ? `${i.agent_name || 'A person'} is answering` : ''),
    i.last_text,
  ]);
}

describe('the inbox list at work', { skip: skipReason() }, () => {
  let f;
  let bot;
  let signedIn; // the first account's cookies, for each test's browser context
  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support');
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const context = await f.browser.newContext();
    await signUpFirstUser(f, await context.newPage(), 'sam@acme.example', 'a long enough password');
    signedIn = await context.storageState();
    await context.close();
  });
  after(async () => {
    await f?.close();
  });

  /** A browser of the agent's, signed in. */
  async function agent(t) {
    const context = await f.browser.newContext({ viewport: { width: 1400, height: 900 }, storageState: signedIn });
    t.after(() => context.close());
    const dashboard = await context.newPage();
    dashboard.setDefaultTimeout(10_000);
    return { context, dashboard };
  }

  test('conversations that change move and update in place, in the order a tab opened later shows', async (t) => {
    const { context, dashboard } = await agent(t);
    const tracker = trackPage(dashboard);
    // The page stays the same document throughout, and reads the whole list once, when its
    // event stream opens; every change after that comes in the events.
    const listReads = [];
    dashboard.on('request', (r) => {
      if (new URL(r.url()).pathname === `/api/admin/v1/bots/${bot.id}/conversations`) listReads.push(r.url());
    });
    await dashboard.goto(`${f.server.url}/inbox?bot=${bot.id}`);
    await dashboard.getByText('No conversations yet').waitFor();
    await dashboard.evaluate(() => { window.__sameDocument = true; });
    await eventually(async () => assert.equal(listReads.length, 1), { message: 'the list read as the stream opened' });

    const alice = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-alice' });
    const bob = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-bob' });
    const turns = async (n) => eventually(async () =>
      assert.ok((await f.server.metric('concierge_bot_turns_total')) >= n), { message: `the bot is done with ${n}` });
    // Each asks; the bot is not sure and hands both to the team.
    await f.server.widgetSend(alice.session_token, 'Where is my parcel?');
    await turns(1);
    await f.server.widgetSend(bob.session_token, 'Can I change my plan?');
    await turns(2);
    const notSure = /^I'm not sure I can answer that one/;
    await eventually(async () => {
      const shown = await shownList(dashboard);
      assert.deepEqual(shown.map(([who, badges]) => [who, badges]), [['Bob', 'Waiting'], ['Alice', 'Waiting']]);
      assert.ok(shown.every(([, , last]) => notSure.test(last)), JSON.stringify(shown));
    }, { message: 'both waiting, the most recent first' });

    // Alice writes again (the bot is silent while it waits for a person): she moves up, with
    // her words as the preview. A colleague takes Bob's over: his moves below the waiting one.
    await f.server.widgetSend(alice.session_token, 'It was due on Monday');
    await turns(3);
    const bobs = (await f.server.admin('GET', `/bots/${bot.id}/conversations`)).items
      .find((i) => i.contact_name === 'Bob');
    await f.server.admin('POST', `/conversations/${bobs.conversation_id}/takeover`);
    const expected = [
      ['Alice', 'Waiting', 'It was due on Monday'],
      ['Bob', 'Support team is answering', bobs.last_text],
    ];
    await eventually(async () => assert.deepEqual(await shownList(dashboard), expected), {
      message: 'the list follows both conversations',
    });
    assert.deepEqual(await listedByServer(f, bot.id), expected, 'what the server lists');
    assert.equal(await dashboard.evaluate(() => window.__sameDocument), true, 'never reloaded');
    assert.equal(listReads.length, 1, `no list read for the changes: ${listReads}`);

    // Another agent opens the inbox now: the same list, in the same order.
    const later = await context.newPage();
    await later.goto(`${f.server.url}/inbox?bot=${bot.id}`);
    assert.deepEqual(await shownList(later), expected, 'a tab opened later');
    // Entering Alice's conversation from the list, the first tab's entry stays current.
    await dashboard.locator('#conversations a', { hasText: 'Alice' }).click();
    await dashboard.getByRole('heading', { name: 'Alice', exact: true, level: 1 }).waitFor();
    await f.server.widgetSend(bob.session_token, 'Thanks!');
    await eventually(async () => assert.deepEqual((await shownList(dashboard))[1], ['Bob', 'Support team is answering', 'Thanks!']), {
      message: 'Bob\'s entry in the list of an open conversation',
    });
    await screenshot(dashboard, 'dashboard-inbox-list-live');
    tracker.check();
  });

  test('what happened before the stream opened, or while the server restarted, shows when it is back', async (t) => {
    const { dashboard } = await agent(t);
    const tracker = trackPage(dashboard).allow(...NETWORK_NOISE, /ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_ABORTED/);
    const carol = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-carol' });
    const turnsBefore = await f.server.metric('concierge_bot_turns_total');
    await f.server.widgetSend(carol.session_token, 'Where is my parcel?');
    await eventually(async () => assert.ok((await f.server.metric('concierge_bot_turns_total')) > turnsBefore), {
      message: 'the bot handed Carol\'s question to the team',
    });
    const conversation = carol.conversation.id;

    // The agent's event stream waits (a slow proxy, a phone's network) for as long as the
    // test holds it; the page itself loads.
    let release = () => {};
    let held = Promise.resolve();
    const hold = () => {
      held = new Promise((resolve) => { release = resolve; });
    };
    await dashboard.route('**/events', async (route) => {
      await held;
      await route.continue();
    });
    const thread = () => dashboard.locator('#thread').innerText();
    const handler = () => dashboard.locator('#handler').innerText();

    // 1. The page is rendered, and before its stream opens Carol writes again and a
    // colleague takes the conversation over.
    hold();
    await dashboard.goto(`${f.server.url}/inbox?bot=${bot.id}&c=${conversation}`);
    await dashboard.evaluate(() => { window.__sameDocument = true; });
    assert.equal(await handler(), 'Waiting for a person — the bot is silent.');
    await f.server.widgetSend(carol.session_token, 'It was due on Monday');
    await f.server.admin('POST', `/conversations/${conversation}/takeover`);
    await dashboard.waitForTimeout(500);
    assert.doesNotMatch(await thread(), /It was due on Monday/, 'nothing arrives while the stream is held');
    release();
    await eventually(async () => assert.match(await thread(), /It was due on Monday/), {
      message: 'the message written before the stream opened',
    });
    await eventually(async () => assert.equal(await handler(), 'Support team is answering.'), {
      message: 'the takeover made before the stream opened',
    });

    // 2. The server restarts; while the stream reconnects, the colleague answers and hands
    // the conversation back to the bot, and Carol thanks them.
    hold();
    await f.server.restart();
    await f.server.admin('POST', `/conversations/${conversation}/messages`, { text: 'It left the depot this morning.' });
    await f.server.admin('POST', `/conversations/${conversation}/handback`);
    await f.server.widgetSend(carol.session_token, 'Great, thanks!');
    await dashboard.waitForTimeout(500);
    assert.doesNotMatch(await thread(), /It left the depot/, 'nothing arrives while the stream is held');
    release();
    await eventually(async () => assert.match(await thread(), /It left the depot this morning\.[\s\S]*Great, thanks!/), {
      message: 'the messages written while the server restarted, in order',
    });
    await eventually(async () => assert.equal(await handler(), 'The bot is answering.'), {
      message: 'the hand-back made while the server restarted',
    });
    const stored = (await f.server.admin('GET', `/conversations/${conversation}/messages`)).items;
    const shown = await dashboard.locator('#thread .msg .text').allInnerTexts();
    assert.deepEqual(shown, stored.map((m) => m.text), 'the thread is the conversation, each message once');
    assert.equal(await dashboard.evaluate(() => window.__sameDocument), true, 'never reloaded');
    await screenshot(dashboard, 'dashboard-inbox-caught-up');
    tracker.check();
  });
});
