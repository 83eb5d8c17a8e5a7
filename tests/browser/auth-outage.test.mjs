// The customer's Authentication API cannot say who the user is for a while (an outage), or
// said nothing because Custom Authentication was still off: the user is never stuck as a
// visitor, nor told to sign in when they are signed in, and what they wrote meanwhile stays
// theirs.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ACKNOWLEDGE, GREETING, eventually, openPage, plainPage, screenshot, setup, skipReason } from './harness.mjs';

/** Dates the widget's stored refusal back by a minute, as if the user came back later. */
const aMinuteLater = (page, bot) =>
  page.evaluate((key) => {
    const stored = JSON.parse(localStorage.getItem(key));
    stored.refused -= 61_000;
    localStorage.setItem(key, JSON.stringify(stored));
  }, `concierge:${bot.id}`);

/** The bot's only conversation as the team sees it: whose, and what the visitor wrote. */
async function theConversation(f, bot) {
  const { items } = await f.server.admin('GET', `/bots/${bot.id}/conversations`);
  assert.equal(items.length, 1, JSON.stringify(items));
  const { items: messages } = await f.server.admin('GET', `/conversations/${items[0].conversation_id}/messages`);
  return { who: items[0].contact_name, wrote: messages.filter((m) => m.author === 'visitor').map((m) => m.text) };
}

describe("the customer's Authentication API in an outage", { skip: skipReason() }, () => {
  let f;
  before(async () => {
    f = await setup();
  });
  after(async () => {
    await f?.close();
  });

  test('a visitor meanwhile, then signed in at a later page load, with what she wrote', async (t) => {
    const bot = await f.server.createBot('Acme Support', { greeting: GREETING, rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    f.customer.down = true;
    t.after(() => { f.customer.down = false; });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    await w.open('Acme Support');
    // The API cannot say who she is: she chats as a visitor (the bot on failure's default).
    await eventually(async () => assert.match(await w.logText(), /^Hi! How can we help\?/), { message: 'greeted' });
    await w.input().fill('Where is my order?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Thanks! We have your message/), { message: 'answered' });

    // The API is back. A reload at once goes on in her conversation, and does not ask the
    // API again so soon.
    f.customer.down = false;
    const calls = f.customer.requests.length;
    await page.reload();
    await w.open('Acme Support');
    await eventually(async () => assert.match(await w.logText(), /Where is my order\?/), { message: 'her conversation' });
    assert.equal(f.customer.requests.length, calls, 'the API is not asked again within the minute');

    // A minute later: signed in, and what she wrote as a visitor is in her conversation.
    await aMinuteLater(page, bot);
    await page.reload();
    await w.open('Acme Support');
    await eventually(async () => assert.match(await w.logText(), /^Hi Alice! How can we help\?/), { message: 'signed in' });
    assert.match(await w.logText(), /Where is my order\?[\s\S]*Thanks! We have your message/);
    assert.deepEqual(await theConversation(f, bot), { who: 'Alice', wrote: ['Where is my order?'] });
    await w.input().fill('Any news?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Any news\?[\s\S]*Thanks, Alice!/), { message: 'as Alice' });
    await screenshot(page, 'widget-signed-in-after-outage');
    tracker.check();
  });

  test('a bot that requires sign-in retries offline, and lets her in once the API answers', async (t) => {
    const signin = 'Please sign in to your Acme account to chat with us.';
    const bot = await f.server.createBot('Acme Members', { greeting: GREETING, rules: ACKNOWLEDGE, signin_text: signin });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url, on_failure: 'block' });
    f.customer.down = true;
    t.after(() => { f.customer.down = false; });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    tracker.allow(/Failed to load resource: the server responded with a status of 503/);
    await w.launcher().click();
    const dialog = w.dialog('Acme Members');
    await dialog.waitFor();
    // She is signed in on the site: not asked to sign in, told the chat retries.
    await eventually(async () => assert.match(await dialog.innerText(), /Chat is offline, retrying/), {
      message: 'offline, retrying',
    });
    const tried = f.customer.requests.length;
    await eventually(async () => assert.ok(f.customer.requests.length > tried), { message: 'it tries again' });
    assert.doesNotMatch(await dialog.innerText(), /Please sign in/);
    await screenshot(page, 'widget-auth-outage-required');

    f.customer.down = false;
    await eventually(async () => assert.match(await w.logText(), /^Hi Alice! How can we help\?/), {
      message: 'signed in once the API answers, without a reload',
      timeout: 15_000,
    });
    assert.doesNotMatch(await dialog.innerText(), /Chat is offline/);
    await w.input().fill('Hello?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Hello\?[\s\S]*Thanks, Alice!/), { message: 'as Alice' });
    tracker.check();
  });

  test('turned on after the page was loaded: the next page load signs him in, with what he wrote', async (t) => {
    // Custom Authentication still off: the page's token is ignored.
    const bot = await f.server.createBot('Acme Help', { greeting: GREETING, rules: ACKNOWLEDGE });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-bob' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    await w.open('Acme Help');
    await w.input().fill('Is there a student discount?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Thanks! We have your message/), { message: 'answered' });

    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    await page.reload();
    await w.open('Acme Help');
    await eventually(async () => assert.match(await w.logText(), /^Hi Bob! How can we help\?/), { message: 'signed in' });
    assert.match(await w.logText(), /Is there a student discount\?/);
    assert.deepEqual(await theConversation(f, bot), { who: 'Bob', wrote: ['Is there a student discount?'] });
    tracker.check();
  });
});
