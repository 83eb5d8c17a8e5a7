// 5. Single-page apps: anonymous → login → logout through the JavaScript API, and a token
// provider called when the page's access token has expired.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ACKNOWLEDGE,
  GREETING,
  eventually,
  localStorageEntries,
  openPage,
  plainPage,
  screenshot,
  setup,
  skipReason,
  spaPage,
  trackPage,
  widget,
} from './harness.mjs';

const conciergeKeys = (entries) => Object.entries(entries).filter(([k]) => k.startsWith('concierge:'));

describe('single-page app API', { skip: skipReason() }, () => {
  let f;
  before(async () => {
    f = await setup();
  });
  after(async () => {
    await f?.close();
  });

  test('anonymous, then login keeps the conversation for Alice, then logout forgets her', async (t) => {
    const bot = await f.server.createBot('Acme Support', { greeting: GREETING, rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const url = f.host.page(spaPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id } }));
    const start = f.customer.requests.length;
    const { page, tracker, w } = await openPage(f, t, url);
    await w.open('Acme Support');
    const dialog = w.dialog('Acme Support');
    await eventually(async () => assert.match(await dialog.innerText(), /Hi! How can we help\?/), {
      message: 'anonymous greeting without a name',
    });
    await w.input().fill('Question before signing in');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Thanks! We have your message/), {
      message: 'anonymous exchange',
    });
    const anonymous = conciergeKeys(await localStorageEntries(page));
    assert.equal(anonymous.length, 1, 'one stored session');
    const anonToken = JSON.parse(anonymous[0][1]).token;
    assert.equal(JSON.parse(anonymous[0][1]).authenticated, false);
    assert.equal((await f.server.contacts(bot.id)).length, 0, 'no contact yet');

    // Login: the page button calls Concierge('login', {token: 'tok-alice'}).
    await page.locator('#login-alice').click();
    await eventually(
      async () => {
        const contacts = await f.server.contacts(bot.id);
        assert.deepEqual(contacts.map((c) => c.name), ['Alice']);
      },
      { message: 'Alice is a contact' },
    );
    await eventually(
      async () => {
        const stored = conciergeKeys(await localStorageEntries(page));
        assert.equal(stored.length, 1);
        const s = JSON.parse(stored[0][1]);
        assert.equal(s.authenticated, true, 'the stored session is authenticated');
        assert.notEqual(s.token, anonToken, 'a new session');
      },
      { message: 'authenticated session stored' },
    );
    // The visitor token went along: the anonymous conversation now belongs to Alice.
    const login = f.customer.requests.slice(start);
    assert.deepEqual(login.map((r) => r.body), [{ access_token: 'tok-alice' }], 'one call to the customer API, for the login');
    await eventually(async () => assert.match(await w.logText(), /Question before signing in/), {
      message: 'earlier message still shown',
    });
    await w.input().fill('Now signed in');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Thanks, Alice! We have your message/), {
      message: 'the bot knows Alice now',
    });
    const aliceSession = JSON.parse(conciergeKeys(await localStorageEntries(page))[0][1]).token;
    const history = await f.server.widgetMessages(aliceSession);
    assert.deepEqual(
      history.filter((m) => m.author === 'visitor').map((m) => m.text),
      ['Question before signing in', 'Now signed in'],
      'one conversation: the anonymous one moved to Alice',
    );
    // The old anonymous session is revoked.
    await assert.rejects(f.server.widgetMessages(anonToken), /401/);

    // Logout: nothing of Alice remains visible or stored; a fresh anonymous session.
    await page.locator('#logout').click();
    await eventually(
      async () => {
        const text = await dialog.innerText();
        assert.doesNotMatch(text, /Alice|Question before signing in|Now signed in/);
      },
      { message: 'Alice’s conversation is gone from the screen' },
    );
    await eventually(
      async () => {
        const stored = conciergeKeys(await localStorageEntries(page));
        for (const [k, v] of stored) {
          assert.doesNotMatch(v, /Alice|alice@example\.com|u-1|tok-alice/, `${k} holds nothing of Alice`);
          const s = JSON.parse(v);
          assert.notEqual(s.token, aliceSession, 'not her session');
          assert.notEqual(s.authenticated, true, 'not authenticated');
        }
      },
      { message: 'storage clean after logout' },
    );
    await assert.rejects(f.server.widgetMessages(aliceSession), /401/, 'logout revoked her session on the server');
    // The widget works anonymously again, in a new conversation.
    await w.input().fill('Someone else now');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Thanks! We have your message/), {
      message: 'anonymous after logout',
    });
    const after = conciergeKeys(await localStorageEntries(page));
    assert.equal(after.length, 1);
    const fresh = await f.server.widgetMessages(JSON.parse(after[0][1]).token);
    assert.deepEqual(
      fresh.filter((m) => m.author === 'visitor').map((m) => m.text),
      ['Someone else now'],
      'a fresh conversation',
    );
    assert.match(await dialog.innerText(), /Hi! How can we help\?/);
    await page.locator('#page-counter').click();
    assert.equal(await page.locator('#page-counter').innerText(), 'Clicked 1');
    tracker.check();
  });

  test('a logout in one tab leaves nothing of Alice in her other tab', async (t) => {
    const bot = await f.server.createBot('Acme Support', { greeting: GREETING, rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { context, page, tracker, w } = await openPage(f, t, url);
    await w.open('Acme Support');
    await w.input().fill('My order number is 4711');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Thanks, Alice!/), { message: 'Alice in tab A' });
    // Her second tab of the site, the chat open too.
    const other = await context.newPage();
    const otherTracker = trackPage(other);
    await other.goto(url);
    const w2 = widget(other);
    await w2.open('Acme Support');
    await eventually(async () => assert.match(await w2.logText(), /Hi Alice![\s\S]*My order number is 4711/), {
      message: 'Alice in tab B',
    });

    // She logs out of the site in tab A.
    await page.evaluate(() => window.Concierge('logout'));
    await eventually(async () => {
      const shown = await w2.dialog('Acme Support').innerText();
      assert.doesNotMatch(shown, /Alice|4711/);
      assert.match(shown, /Hi! How can we help\?/);
    }, { message: 'tab B shows nothing of Alice' });
    for (const [key, value] of conciergeKeys(await localStorageEntries(other))) {
      assert.notEqual(JSON.parse(value).authenticated, true, `${key}: not her session`);
    }
    await screenshot(other, 'widget-other-tab-after-logout');
    tracker.check();
    otherTracker.check();
  });

  test('a bot that requires sign-in: a tab without her token does not sign her out of the others', async (t) => {
    const signin = 'Please sign in to chat with us.';
    const bot = await f.server.createBot('Acme Members', { greeting: GREETING, rules: ACKNOWLEDGE, signin_text: signin });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url, on_failure: 'block' });
    const hers = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { context, page, tracker, w } = await openPage(f, t, hers);
    await w.open('Acme Members');
    await eventually(async () => assert.match(await w.logText(), /^Hi Alice!/), { message: 'Alice' });
    // A page of the site that gives the widget no token (the chat is refused there).
    const other = await context.newPage();
    const otherTracker = trackPage(other).allow(/status of 401/);
    await other.goto(f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id } })));
    const w2 = widget(other);
    await w2.open('Acme Members');
    await eventually(async () => assert.match(await w2.dialog('Acme Members').innerText(), /Please sign in/), {
      message: 'the other page is refused',
    });
    // Alice's tab goes on as Alice.
    await w.input().fill('Still me?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Still me\?[\s\S]*Thanks, Alice!/), { message: 'as Alice' });
    assert.match(await w.logText(), /^Hi Alice!/);
    tracker.check();
    otherTracker.check();
  });

  test('an expired token: the widget asks the token provider once and ends up authenticated', async (t) => {
    const bot = await f.server.createBot('Acme Support', { greeting: GREETING, rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const provider = `
      window.providerCalls = 0;
      Concierge('onTokenExpired', function () {
        window.providerCalls += 1;
        return Promise.resolve('tok-alice');
      });`;
    const url = f.host.page(
      spaPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-expired' }, before: provider }),
    );
    const start = f.customer.requests.length;
    const { page, tracker, w } = await openPage(f, t, url);
    await eventually(
      async () => assert.deepEqual((await f.server.contacts(bot.id)).map((c) => c.name), ['Alice']),
      { message: 'Alice authenticated after the refresh' },
    );
    await w.open('Acme Support');
    await eventually(async () => assert.match(await w.dialog('Acme Support').innerText(), /Hi Alice! How can we help\?/), {
      message: 'greeting with Alice',
    });
    assert.equal(await page.evaluate(() => window.providerCalls), 1, 'the provider was called once');
    const tokens = f.customer.requests.slice(start).map((r) => r.body.access_token);
    assert.deepEqual(tokens, ['tok-expired', 'tok-alice'], 'expired token refused, fresh one accepted');
    const stored = conciergeKeys(await localStorageEntries(page));
    assert.equal(JSON.parse(stored[0][1]).authenticated, true);
    tracker.check();
  });
});
