// The server goes away: a reconnect loses and duplicates nothing (8); a page loaded while the
// server is down keeps working, shows the widget offline, and recovers (10).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ACKNOWLEDGE,
  NETWORK_NOISE,
  eventually,
  occurrences,
  openPage,
  plainPage,
  screenshot,
  setup,
  skipReason,
  watchSockets,
} from './harness.mjs';

/** Asserts that every server-side message text appears in the log exactly as often as on the server. */
async function assertLogMatchesServer(w, serverMessages) {
  const log = await w.logText();
  const all = serverMessages.map((m) => m.text).join('\n\u0000\n');
  for (const m of serverMessages) {
    assert.equal(occurrences(log, m.text), occurrences(all, m.text), `"${m.text}" shown as often as stored; log:\n${log}`);
  }
}

describe('server outages', { skip: skipReason() }, () => {
  let f;
  before(async () => {
    f = await setup();
  });
  after(async () => {
    await f?.close();
  });

  test('the server restarts while the panel is open: nothing lost, nothing duplicated', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    const sockets = watchSockets(page);
    await w.open('Acme Support');
    await w.input().fill('Before the outage');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Before the outage/), { message: 'first message' });
    // Let the bot's answer (if any) land before pulling the plug.
    const device2 = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-alice' });
    await eventually(async () => {
      const stored = await f.server.widgetMessages(device2.session_token);
      assert.ok(stored.some((m) => m.author === 'bot'), 'bot answered');
      await assertLogMatchesServer(w, stored);
    }, { message: 'conversation settled before the outage' });
    await eventually(() => assert.ok(sockets.opened >= 1, 'a WebSocket is open'), { message: 'socket' });

    tracker.allow(...NETWORK_NOISE);
    await f.server.stop();
    await eventually(() => assert.ok(sockets.closed >= 1, 'the widget saw its socket close'), { message: 'socket closed' });

    // While the server is down the page and the widget keep working.
    await page.locator('#page-counter').click();
    assert.equal(await page.locator('#page-counter').innerText(), 'Clicked 1');
    assert.ok(await w.dialog('Acme Support').isVisible(), 'the panel stays open');
    await screenshot(page, 'reconnecting');
    assert.deepEqual(tracker.pageErrors, [], 'no uncaught exception while down');

    await f.server.start();
    // Another device writes right after the restart; the page must get it once.
    const other = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-alice' });
    assert.equal(other.conversation.id, device2.conversation.id, 'same conversation');
    await f.server.widgetSend(other.session_token, 'Written on another device after the restart');
    await eventually(async () => assert.match(await w.logText(), /Written on another device after the restart/), {
      message: 'message after reconnect',
    });
    // And the page itself can talk again.
    await w.input().fill('Back online');
    await w.input().press('Enter');
    await eventually(
      async () => {
        const stored = await f.server.widgetMessages(other.session_token);
        assert.ok(stored.some((m) => m.text === 'Back online'), 'stored');
        assert.ok(stored.filter((m) => m.author === 'bot').length >= 2, 'bot answered again');
        await assertLogMatchesServer(w, stored);
      },
      { message: 'no loss, no duplicate' },
    );
    assert.ok(sockets.opened >= 2, 'the widget opened a new WebSocket');
    tracker.check();
  });

  test('a deploy stops the server while the bot is answering: the answer is there after the restart', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-bob' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    tracker.allow(...NETWORK_NOISE);
    await w.open('Acme Support');
    await w.input().fill('Are you open on Sunday?');
    const stored = page.waitForResponse((r) => r.url().endsWith('/api/widget/v1/messages') && r.request().method() === 'POST');
    await w.input().press('Enter');
    assert.equal((await stored).status(), 201);
    // SIGTERM at once, as a deploy sends it: the bot takes a moment before it answers.
    await f.server.restart();
    await eventually(async () => assert.match(await w.logText(), /Are you open on Sunday\?[\s\S]*Thanks, Bob! We have your message/), {
      message: 'the bot answered before the process went',
    });
    const session = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-bob' });
    const messages = await f.server.widgetMessages(session.session_token);
    assert.deepEqual(messages.map((m) => m.author), ['visitor', 'bot'], 'answered once');
    tracker.check();
  });

  test('a message that reaches the server only after its retry is stored and answered once', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-carol' } }));
    // The first send of a message is held on a slow network past the widget's 10 s
    // timeout, and delivered after the widget has sent it again.
    let late = null;
    const { page, tracker, w } = await openPage(f, t, url, {
      before: (p) => p.route(`${f.server.url}/api/widget/v1/messages`, async (route) => {
        const request = route.request();
        if (request.method() !== 'POST' || late) return route.continue();
        const headers = { authorization: await request.headerValue('authorization'), 'content-type': 'application/json' };
        late = new Promise((resolve) => setTimeout(resolve, 12_000)).then(() =>
          fetch(request.url(), { method: 'POST', headers, body: request.postData() }));
        await late.catch(() => {});
        return route.abort().catch(() => {});
      }),
    });
    tracker.allow(...NETWORK_NOISE, /ERR_FAILED|ERR_ABORTED/);
    await w.open('Acme Support');
    const turns = await f.server.metric('concierge_bot_turns_total');
    await w.input().fill('Has my order shipped?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Thanks, Carol! We have your message/), {
      message: 'answered after the retry', timeout: 30_000,
    });
    const delivered = await late;
    assert.ok(delivered.status < 300, `the late one reached the server: ${delivered.status}`);
    await eventually(async () => assert.ok((await f.server.metric('concierge_bot_turns_total')) > turns));
    await page.waitForTimeout(1_500); // a second turn, were there one, would have answered by now
    const session = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-carol' });
    const stored = await f.server.widgetMessages(session.session_token);
    assert.deepEqual(stored.map((m) => [m.author, m.text.slice(0, 22)]), [
      ['visitor', 'Has my order shipped?'], ['bot', 'Thanks, Carol! We have'],
    ], 'stored once, answered once');
    assert.equal(occurrences(await w.logText(), 'Has my order shipped?'), 1, 'shown once');
    tracker.check();
  });

  test('an instance from before message ids (a rolling upgrade) still takes the message', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-bob' } }));
    // The older instance refuses a body with a field it does not know, as it did.
    const refused = [];
    const { tracker, w } = await openPage(f, t, url, {
      before: (p) => p.route(`${f.server.url}/api/widget/v1/messages`, (route) => {
        const body = route.request().method() === 'POST' ? JSON.parse(route.request().postData()) : {};
        if (!('client_id' in body)) return route.continue();
        refused.push(body);
        return route.fulfill({
          status: 422,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'invalid_body', message: 'unknown field `client_id`' } }),
        });
      }),
    });
    tracker.allow(/status of 422/);
    await w.open('Acme Support');
    await w.input().fill('Do you ship to Norway?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Do you ship to Norway\?[\s\S]*Thanks, Bob!/), {
      message: 'sent without the id, and answered',
    });
    assert.equal(refused.length, 1, 'tried once with the id');
    assert.doesNotMatch(await w.logText(), /Not sent/);
    tracker.check();
  });

  test('the server is down when the page loads: the page works, the widget is offline, then recovers', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    // The browser has widget.js (from its cache or a CDN), but Concierge itself is down.
    const script = await (await fetch(`${f.server.url}/widget.js`)).text();
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    await f.server.stop();

    const { page, tracker, w } = await openPage(f, t, null, {
      before: (_page, context) =>
        context.route(`${f.server.url}/widget.js`, (route) =>
          route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: script }),
        ),
    });
    tracker.allow(...NETWORK_NOISE);
    await page.goto(url);
    await page.locator('#page-counter').click();
    assert.equal(await page.locator('#page-counter').innerText(), 'Clicked 1');

    // The widget shows itself offline (docs/widget.md): the launcher keeps its name, gets
    // the description/tooltip "Chat is offline, retrying", and the panel says so.
    const launcher = w.launcher();
    await eventually(async () => assert.match((await launcher.getAttribute('title', { timeout: 1_000 })) ?? '', /offline/i), {
      message: 'offline launcher',
    });
    assert.deepEqual(tracker.pageErrors, [], 'no uncaught exception');
    await screenshot(page, 'offline-closed');
    await launcher.click();
    const panel = page.getByRole('dialog');
    await panel.waitFor();
    await eventually(async () => assert.match(await panel.innerText(), /offline/i), { message: 'offline panel' });
    await screenshot(page, 'offline');
    await page.locator('#page-counter').click();
    assert.equal(await page.locator('#page-counter').innerText(), 'Clicked 2');

    await f.server.start();
    await eventually(
      async () => {
        await w.dialog('Acme Support').waitFor({ timeout: 500 });
        assert.doesNotMatch(await w.dialog('Acme Support').innerText(), /offline/i);
        assert.ok(await w.input().isEditable(), 'composer usable');
      },
      { message: 'widget recovers', timeout: 10_000, interval: 250 },
    );
    assert.equal(await launcher.count(), 0, 'the launcher is now "Minimize chat" (panel open)');
    assert.equal(await w.minimizer().getAttribute('title'), null, 'no offline tooltip any more');
    await w.input().fill('Are you back?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Are you back\?/), { message: 'send after recovery' });
    await eventually(
      async () => assert.equal((await f.server.contacts(bot.id)).map((c) => c.name).join(), 'Alice'),
      { message: 'authenticated after recovery' },
    );
    tracker.check();
  });
});
