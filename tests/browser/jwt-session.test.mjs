// A signed user token (identity mode `jwt`) that expires while the person is chatting: the
// site's short-lived token runs out, the chat session ends, and the widget asks the page's
// token provider for a fresh token instead of dropping the person to anonymous. The
// conversation carries on where it was.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  ACKNOWLEDGE,
  ConciergeServer,
  eventually,
  launchBrowser,
  localStorageEntries,
  openPage,
  screenshot,
  skipReason,
  spaPage,
  startHost,
} from './harness.mjs';

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An HS256 token as a customer's server signs it with the bot's key (node:crypto only). */
function signed({ kid, secret }, claims) {
  const head = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const SESSION_SECS = 6;

async function say(w, text) {
  await w.input().fill(text);
  await w.input().press('Enter');
}

describe('a signed user token that expires during the chat', { skip: skipReason() }, () => {
  const f = {};
  before(async () => {
    // Chat sessions that end within seconds, so the renewal happens during the test.
    f.browser = await launchBrowser();
    [f.server, f.host] = await Promise.all([
      ConciergeServer.start({ env: { CONCIERGE_SESSION_TTL_SECS: String(SESSION_SECS) } }),
      startHost(),
    ]);
  });
  after(() => Promise.allSettled([f.browser?.close(), f.server?.close(), f.host?.close()]));

  test('the token provider supplies a new token and the conversation continues', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    const identity = await f.server.admin('PUT', `/bots/${bot.id}/identity`, {
      enabled: true,
      mode: 'jwt',
      jwt: { algorithms: ['HS256'], leeway_secs: 0 },
    });
    const key = identity.jwt.keys[0];
    const person = { sub: 'u-ada', name: 'Ada', email: 'ada@example.com' };
    // The page's token lives a few seconds, shorter than the chat session; the provider
    // stands for the site's own "get me a fresh token" call.
    const shortLived = signed(key, { ...person, iat: now(), exp: now() + 3 });
    const fresh = signed(key, { ...person, iat: now(), exp: now() + 600 });
    const provider = `window.__asked = 0;
      Concierge('onTokenExpired', function () { window.__asked++; return Promise.resolve(${JSON.stringify(fresh)}); });`;
    const url = f.host.page(
      spaPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: shortLived }, before: provider }),
    );
    const { page, tracker, w } = await openPage(f, t, url);
    // The browser logs the ended session's answer (401) to the message, which starts the
    // renewal.
    tracker.allow(/status of 401 \(Unauthorized\).*\/api\/widget\/v1\/messages/);

    await w.open('Acme Support');
    await say(w, 'Where is my order?');
    await eventually(async () => assert.match(await w.logText(), /Thanks, Ada!/), { message: 'answered as Ada' });
    const first = JSON.parse((await localStorageEntries(page))[`concierge:${bot.id}`]);
    assert.equal(first.authenticated, true);
    assert.equal(await page.evaluate(() => window.__asked), 0, 'a valid token needs no provider');

    // Both the token and the session run out; the person simply writes again.
    await page.waitForTimeout((SESSION_SECS + 1) * 1000);
    await say(w, 'Any news?');
    await eventually(async () => assert.equal(await page.evaluate(() => window.__asked), 1), {
      message: 'the widget asked the page for a fresh token',
      timeout: 15_000,
    });
    await eventually(
      async () => assert.match(await w.logText(), /Where is my order\?[\s\S]*Thanks, Ada![\s\S]*Any news\?[\s\S]*Thanks, Ada!/),
      { message: 'one conversation, both messages answered', timeout: 15_000 },
    );
    const renewed = JSON.parse((await localStorageEntries(page))[`concierge:${bot.id}`]);
    assert.equal(renewed.authenticated, true, 'still Ada, not an anonymous visitor');
    assert.notEqual(renewed.token, first.token, 'a new chat session');
    const history = await f.server.widgetMessages(renewed.token);
    assert.deepEqual(
      history.filter((m) => m.author === 'visitor').map((m) => m.text),
      ['Where is my order?', 'Any news?'],
      'the conversation continued',
    );
    await screenshot(page, 'jwt-renewed-conversation');

    // The same page loaded again later (a reload, a back button): its token has expired by
    // now. The server says so (token_expired), the provider is asked, and Ada is back in
    // her conversation.
    await page.reload();
    await w.open('Acme Support');
    await eventually(async () => assert.equal(await page.evaluate(() => window.__asked), 1), {
      message: 'the reloaded page asked its provider',
      timeout: 15_000,
    });
    await say(w, 'Thanks!');
    await eventually(async () => assert.match(await w.logText(), /Any news\?[\s\S]*Thanks!/), {
      message: 'the earlier messages are still there after the reload',
      timeout: 15_000,
    });
    const contacts = await f.server.contacts(bot.id);
    assert.equal(contacts.length, 1, 'one person, one contact');
    const outcomes = (await f.server.attempts(bot.id)).map((a) => `${a.mode}:${a.outcome}`).reverse();
    assert.deepEqual(
      outcomes,
      ['jwt:ok', 'jwt:ok', 'jwt:token_expired', 'jwt:ok'],
      'a renewal asks the provider first; a reloaded page tries its token, is told it expired, and asks',
    );
    tracker.check();
  });
});
