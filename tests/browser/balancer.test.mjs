// Several instances behind nginx (issue 12): two `concierge serve` on one PostgreSQL
// database and one Redis, behind Debian's nginx running deploy/nginx/concierge.conf. The
// widget and the agent talk only through nginx. The instance that holds the widget's
// WebSocket is killed with SIGKILL while the visitor sends a message: the widget carries on
// through the other instance, and nothing either side wrote is lost or shown twice.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { REDIS_URL, clusterSkipReason, requireRedis, startNginx, tempPostgres } from './cluster.mjs';
import {
  ACKNOWLEDGE,
  ConciergeServer,
  NETWORK_NOISE,
  adminCall,
  countEverywhere,
  eventually,
  launchBrowser,
  occurrences,
  openPage,
  plainPage,
  screenshot,
  skipReason,
  startCustomer,
  startHost,
  watchSockets,
} from './harness.mjs';

const SOCKETS = 'concierge_widget_sockets';

/** Asserts that every stored message's text is in the widget's log exactly as often as stored. */
async function assertLogMatchesServer(w, stored) {
  const log = await w.logText();
  const all = stored.map((m) => m.text).join('\n\u0000\n');
  for (const m of stored) {
    assert.equal(occurrences(log, m.text), occurrences(all, m.text), `"${m.text}" shown as often as stored; log:\n${log}`);
  }
}

/** Waits, at most 10 s, for an `event: message` on an inbox stream whose data mentions `text`. */
async function nextStreamMessage(stream, text) {
  const decoder = new TextDecoder();
  let seen = '';
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no "${text}" on the inbox stream within 10 s:\n${seen}`)), 10_000);
  });
  try {
    for (;;) {
      const chunk = await Promise.race([stream.read(), timeout]);
      if (chunk.done) throw new Error(`the inbox stream ended before "${text}":\n${seen}`);
      seen += decoder.decode(chunk.value, { stream: true });
      if (seen.split('\n\n').some((e) => /^event: message$/m.test(e) && e.includes(text))) return;
    }
  } finally {
    clearTimeout(timer);
  }
}

describe('two instances behind nginx', { skip: skipReason() || clusterSkipReason() }, () => {
  const closers = [];
  let browser, customer, host, instances, nginx, api;
  before(async () => {
    await requireRedis();
    const db = await tempPostgres();
    closers.push(() => db.drop());
    const adminToken = `adm-${randomBytes(18).toString('hex')}`;
    // What docs/deploy.md asks of every instance: one database, one Redis, one secret key,
    // and the client's address taken from the proxy's X-Forwarded-For.
    const env = {
      CONCIERGE_DATABASE_URL: db.url,
      CONCIERGE_REDIS_URL: REDIS_URL,
      CONCIERGE_SECRET_KEY: randomBytes(32).toString('base64'),
      CONCIERGE_TRUST_PROXY_HEADERS: 'true',
    };
    instances = [new ConciergeServer({ env, adminToken }), new ConciergeServer({ env, adminToken })];
    closers.push(...instances.map((i) => () => i.close()));
    await Promise.all(instances.map((i) => i.start()));
    nginx = await startNginx(instances.map((i) => `127.0.0.1:${i.port}`));
    closers.push(() => nginx.close());
    api = (method, p, body) => adminCall(nginx.url, adminToken, method, p, body);
    [browser, customer, host] = await Promise.all([launchBrowser(), startCustomer(), startHost()]);
    closers.push(() => browser.close(), () => customer.close(), () => host.close());
  });
  after(async () => {
    // In reverse: the database is dropped once no instance holds a connection to it.
    for (const close of closers.reverse()) await close().catch((e) => console.warn(`cleanup: ${e.message}`));
  });

  test('the instance holding the widget socket is killed: the widget carries on, nothing lost or doubled', async (t) => {
    const bot = await api('POST', '/bots', { name: 'Acme Support' });
    await api('PATCH', `/bots/${bot.id}`, { rules: ACKNOWLEDGE });
    await api('PUT', `/bots/${bot.id}/custom-auth`, { enabled: true, url: customer.url });
    const url = host.page(plainPage({ serverUrl: nginx.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { page, tracker, w } = await openPage({ browser, server: { url: nginx.url } }, t, url);
    const sockets = watchSockets(page);
    // The visitor's messages as the browser sent them, and what came back.
    const posts = [];
    const isPost = (r) => r.method() === 'POST' && r.url().endsWith('/api/widget/v1/messages');
    const text = (r) => JSON.parse(r.postData()).text;
    page.on('response', (r) => isPost(r.request()) && posts.push({ text: text(r.request()), status: r.status() }));
    page.on('requestfailed', (r) => isPost(r) && posts.push({ text: text(r), status: r.failure()?.errorText }));

    // The agent's live inbox, through nginx (unbuffered there, or events would wait).
    const events = await fetch(`${nginx.url}/api/admin/v1/bots/${bot.id}/events`, {
      headers: { authorization: `Bearer ${instances[0].adminToken}` },
    });
    assert.equal(events.status, 200);
    const stream = events.body.getReader();
    t.after(() => stream.cancel().catch(() => {}));

    await w.open('Acme Support');
    await w.input().fill('Hello through the balancer');
    await w.input().press('Enter');
    await nextStreamMessage(stream, 'Hello through the balancer');
    const [listed] = (await api('GET', `/bots/${bot.id}/conversations`)).items;
    const stored = async () => (await api('GET', `/conversations/${listed.conversation_id}/messages`)).items;
    await eventually(async () => {
      const messages = await stored();
      assert.ok(messages.some((m) => m.author === 'bot'), 'the bot answered');
      await assertLogMatchesServer(w, messages);
    }, { message: 'first exchange' });

    await api('POST', `/conversations/${listed.conversation_id}/messages`, { text: 'Sam here: how can I help?' });
    await eventually(async () => assert.match(await w.logText(), /Sam here: how can I help\?/), { message: 'agent reply' });

    // Which instance the widget's socket went to, by each instance's own count.
    const holding = () => Promise.all(instances.map((i) => (i.proc ? i.metric(SOCKETS) : 0)));
    let counts;
    await eventually(async () => {
      counts = await holding();
      assert.deepEqual([...counts].sort(), [0, 1], `one socket on one instance: ${counts}`);
    }, { message: 'the widget socket' });
    const [holder, survivor] = counts[0] === 1 ? instances : [...instances].reverse();
    await screenshot(page, 'balancer-before-kill');

    // The instance dies the moment the visitor's message leaves the browser: the message
    // is on its way (perhaps to that very instance) while the widget does not know yet.
    // nginx answers a request it could not pass on with its own 502, which has no CORS
    // header: the browser reports a blocked fetch, and the widget retries as it does on a
    // network error.
    tracker.allow(...NETWORK_NOISE, /status of 502 \(Bad Gateway\)/, /blocked by CORS policy/, /net::ERR_FAILED/);
    const closedBefore = sockets.closed;
    let killed;
    await page.route(`${nginx.url}/api/widget/v1/messages`, async (route) => {
      const kill = route.request().method() === 'POST' && !killed;
      await route.continue();
      if (kill) killed = holder.stop({ signal: 'SIGKILL' });
    });
    await w.input().fill('Sent as a server died');
    await w.input().press('Enter');
    await eventually(() => assert.ok(killed, 'the message left'), { message: 'the POST' });
    await killed;
    await screenshot(page, 'balancer-during-kill');

    await eventually(() => assert.ok(sockets.closed > closedBefore, 'the socket closed'), { message: 'socket closed' });
    await eventually(async () => assert.equal(await survivor.metric(SOCKETS), 1, 'socket on the survivor'), {
      message: 'the widget reconnected through nginx to the other instance',
      timeout: 20_000,
    });
    // Acknowledged once, stored once, shown once, and not left pending or marked unsent.
    await eventually(async () => {
      const messages = await stored();
      assert.equal(messages.filter((m) => m.text === 'Sent as a server died').length, 1, 'stored once');
      assert.equal(occurrences(await w.logText(), 'Sent as a server died'), 1, 'shown once');
      assert.equal(await countEverywhere(page, '.pending, .failed'), 0, 'no message pending or unsent');
    }, { message: 'the message sent during the kill', timeout: 20_000 });
    // Acknowledged at most once: a 201 lost with the dead instance is found by the widget's
    // look before it sends again.
    const tries = posts.filter((p) => p.text === 'Sent as a server died');
    assert.ok(tries.filter((p) => p.status === 201).length <= 1, `acknowledged at most once: ${JSON.stringify(tries)}`);

    await api('POST', `/conversations/${listed.conversation_id}/messages`, { text: 'Still here after one server died' });
    await eventually(async () => assert.match(await w.logText(), /Still here after one server died/), {
      message: 'agent reply after the kill',
    });
    await w.input().fill('Great, thanks');
    await w.input().press('Enter');
    await eventually(async () => {
      const messages = await stored();
      assert.ok(messages.some((m) => m.text === 'Great, thanks'), 'stored');
      assert.deepEqual(
        messages.filter((m) => m.author !== 'bot').map((m) => m.text),
        [
          'Hello through the balancer',
          'Sam here: how can I help?',
          'Sent as a server died',
          'Still here after one server died',
          'Great, thanks',
        ],
      );
      await assertLogMatchesServer(w, messages);
      assert.equal(await countEverywhere(page, '.pending, .failed'), 0, 'nothing pending');
    }, { message: 'the whole conversation, once each' });
    // nginx logs a WebSocket when it ends: the killed instance had it.
    await eventually(
      () => assert.match(nginx.accessLog(), new RegExp(`GET /api/widget/v1/ws 101 upstream=127\\.0\\.0\\.1:${holder.port}\\b`)),
      { message: 'nginx passed the first socket to the killed instance' },
    );
    await screenshot(page, 'balancer-after-kill');
    tracker.check();
  });
});
