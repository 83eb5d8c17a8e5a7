// Signing in never hides a person's history: a page that loaded before the sign-in (the
// usual single-page app), a phone and a laptop for one person, and a token refused on the
// way. Two browser contexts are two devices.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ACKNOWLEDGE,
  eventually,
  localStorageEntries,
  occurrences,
  openPage,
  plainPage,
  screenshot,
  setup,
  signUpFirstUser,
  skipReason,
  spaPage,
  trackPage,
} from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

const storedSession = async (page, botId) => JSON.parse((await localStorageEntries(page))[`concierge:${botId}`] ?? 'null');

/** The bodies of the page's POST /sessions requests, and the answers they got. */
function watchSessionStarts(page) {
  const starts = [];
  page.on('response', async (res) => {
    const req = res.request();
    if (req.method() !== 'POST' || !req.url().endsWith('/api/widget/v1/sessions')) return;
    starts.push({ sent: req.postDataJSON(), answer: await res.json().catch(() => null) });
  });
  return starts;
}

async function say(w, text) {
  await w.input().fill(text);
  await w.input().press('Enter');
  await eventually(async () => assert.match(await w.logText(), new RegExp(`${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*Thanks`)), {
    message: `"${text}" sent and acknowledged`,
  });
}

describe('signing in keeps one history', { skip: skipReason() }, () => {
  let f;
  before(async () => {
    f = await setup();
  });
  after(async () => {
    await f?.close();
  });

  test('a page that loaded before the sign-in shows Alice’s history, and what she wrote there joins it everywhere', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });

    // The laptop: signed in, two messages.
    const laptopUrl = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const laptop = await openPage(f, t, laptopUrl);
    await laptop.w.open('Acme Support');
    await say(laptop.w, 'Where is my parcel?');
    await say(laptop.w, 'It was due on Monday');

    // The phone: the shop's app loads first (the widget opens an anonymous session), then
    // Alice signs in.
    const phoneUrl = f.host.page(spaPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id } }));
    const phone = await openPage(f, t, phoneUrl, PHONE);
    await eventually(async () => assert.equal((await storedSession(phone.page, bot.id))?.authenticated, false), {
      message: 'the page opened an anonymous session',
    });
    await phone.page.locator('#login-alice').click();
    await eventually(async () => assert.equal((await storedSession(phone.page, bot.id))?.authenticated, true), {
      message: 'signed in on the phone',
    });
    await phone.w.open('Acme Support');
    await eventually(async () => assert.match(await phone.w.logText(), /Where is my parcel\?[\s\S]*It was due on Monday/), {
      message: 'the phone shows the laptop’s messages',
    });

    // The laptop after a reload: nothing hidden.
    await laptop.page.reload();
    await laptop.w.open('Acme Support');
    await eventually(async () => assert.match(await laptop.w.logText(), /Where is my parcel\?[\s\S]*It was due on Monday/), {
      message: 'the laptop still shows its history after a reload',
    });

    // Signed out on the phone, Alice asks something anonymously, then signs in again. (The
    // chat covers a phone's screen: she closes it to reach the site's buttons.)
    await phone.w.closer().first().click();
    await phone.page.locator('#logout').click();
    await phone.w.open('Acme Support');
    await eventually(async () => assert.doesNotMatch(await phone.w.logText(), /parcel/), {
      message: 'nothing of Alice after the logout',
    });
    await say(phone.w, 'Can I change the address?');
    await phone.w.closer().first().click();
    await phone.page.locator('#login-alice').click();
    await phone.w.open('Acme Support');
    const order = /Where is my parcel\?[\s\S]*It was due on Monday[\s\S]*Can I change the address\?/;
    await eventually(async () => assert.match(await phone.w.logText(), order), {
      message: 'the phone shows one conversation, in order',
    });
    // The laptop, still open, sees it without a reload.
    await eventually(async () => assert.match(await laptop.w.logText(), order), {
      message: 'the open laptop receives the phone’s earlier message live',
    });
    for (const side of [laptop, phone]) {
      const text = await side.w.logText();
      for (const m of ['Where is my parcel?', 'It was due on Monday', 'Can I change the address?']) {
        assert.equal(occurrences(text, m), 1, `"${m}" once in ${text}`);
      }
    }
    await screenshot(phone.page, 'sign-in-phone-joined-history');
    await screenshot(laptop.page, 'sign-in-laptop-joined-history');

    // Agents see the same: one conversation in the inbox, with all of it.
    const inbox = await f.server.admin('GET', `/bots/${bot.id}/conversations`);
    assert.equal(inbox.items.length, 1, JSON.stringify(inbox));
    assert.equal(inbox.items[0].contact_name, 'Alice');
    const thread = await f.server.admin('GET', `/conversations/${inbox.items[0].conversation_id}/messages`);
    assert.deepEqual(
      thread.items.filter((m) => m.author === 'visitor').map((m) => m.text),
      ['Where is my parcel?', 'It was due on Monday', 'Can I change the address?'],
    );
    laptop.tracker.check();
    phone.tracker.check();
  });

  test('an agent reading the anonymous conversation is taken to the contact’s when the visitor signs in', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    // Alice wrote yesterday, from her laptop.
    const laptop = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-alice' });
    await f.server.widgetSend(laptop.session_token, 'Where is my parcel?');

    // Today, on the phone, before signing in.
    const url = f.host.page(spaPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id } }));
    const phone = await openPage(f, t, url, PHONE);
    await phone.w.open('Acme Support');
    await say(phone.w, 'Can I change the address?');

    // Sam has that anonymous conversation open in the inbox.
    const agentContext = await f.browser.newContext({ viewport: { width: 1400, height: 900 } });
    t.after(() => agentContext.close());
    const inbox = await agentContext.newPage();
    inbox.setDefaultTimeout(10_000);
    const inboxTracker = trackPage(inbox);
    await signUpFirstUser(f, inbox, 'sam@acme.example', 'a long enough password');
    const listed = await f.server.admin('GET', `/bots/${bot.id}/conversations`);
    const visitorItem = listed.items.find((i) => !i.contact_name);
    await inbox.goto(`${f.server.url}/inbox?bot=${bot.id}&c=${visitorItem.conversation_id}`);
    await eventually(async () => assert.match(await inbox.locator('#thread').innerText(), /Can I change the address\?/), {
      message: 'the agent reads the anonymous conversation',
    });

    // Alice signs in on the phone: Sam's page follows her messages to her conversation.
    await phone.w.closer().first().click();
    await phone.page.locator('#login-alice').click();
    const alice = listed.items.find((i) => i.contact_name === 'Alice');
    await inbox.waitForURL(new RegExp(`c=${alice.conversation_id}`));
    await eventually(
      async () => assert.match(await inbox.locator('#thread').innerText(), /Where is my parcel\?[\s\S]*Can I change the address\?/),
      { message: 'one conversation, in order, for the agent' },
    );
    const after = await f.server.admin('GET', `/bots/${bot.id}/conversations`);
    assert.deepEqual(after.items.map((i) => i.contact_name), ['Alice'], 'the anonymous one is gone from the inbox');
    await screenshot(inbox, 'sign-in-inbox-joined');
    inboxTracker.check();
    phone.tracker.check();
  });

  test('after a refused token, the retry offers the live anonymous session, never the refused one', async (t) => {
    const bot = await f.server.createBot('Acme Support', { rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const provider = `Concierge('onTokenExpired', function () { return Promise.resolve('tok-alice'); });`;
    const url = f.host.page(spaPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id }, before: provider }));
    const { page, tracker, w } = await openPage(f, t, url);
    const starts = watchSessionStarts(page);
    await w.open('Acme Support');
    await say(w, 'Question before signing in');
    const anonymous = (await storedSession(page, bot.id)).token;

    // The site signs in with a token that has just expired; the provider has a fresh one.
    await page.evaluate(() => Concierge('login', { token: 'tok-expired' }));
    await eventually(async () => assert.equal((await storedSession(page, bot.id))?.authenticated, true), {
      message: 'authenticated after the retry',
    });
    const logins = starts.filter((s) => s.sent.access_token);
    assert.equal(logins.length, 2, JSON.stringify(logins));
    const [refused, retry] = logins;
    assert.equal(refused.sent.access_token, 'tok-expired');
    assert.equal(refused.answer.auth_error?.code, 'invalid_token');
    assert.equal(refused.sent.visitor_token, anonymous);
    assert.equal(retry.sent.access_token, 'tok-alice');
    assert.notEqual(retry.sent.visitor_token, refused.answer.session_token, 'the refused session is no proof');
    assert.equal(retry.sent.visitor_token, anonymous, 'the live anonymous session is');

    // And so the question asked before signing in is Alice's now.
    const history = await f.server.widgetMessages((await storedSession(page, bot.id)).token);
    assert.deepEqual(
      history.filter((m) => m.author === 'visitor').map((m) => m.text),
      ['Question before signing in'],
    );
    await eventually(async () => assert.match(await w.logText(), /Question before signing in/), {
      message: 'still shown',
    });
    tracker.check();
  });
});
