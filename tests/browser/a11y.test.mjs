// Accessibility (10): axe-core's WCAG 2.1 A/AA rules on every dashboard page and on the
// widget (closed, open with messages, on a phone, in bot colours from pale to mid-tone to
// dark), and the keyboard paths people take: the widget opened, used and closed without a
// mouse, focus kept inside the full-screen panel on a phone, the Custom Authentication
// form saved and tested by keyboard. A screenshot in forced-colours mode is for a person
// to look at.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import AxeBuilder from '@axe-core/playwright';

import {
  ACKNOWLEDGE, eventually, openPage, plainPage, screenshot, setup, setupLink, signUpFirstUser, skipReason, trackPage,
  watchSockets,
} from './harness.mjs';

const WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PHONE = { width: 375, height: 667 };

/** axe-core's WCAG 2.1 A/AA violations on the page (or inside `include`), one line each. */
async function violations(page, include) {
  let builder = new AxeBuilder({ page }).withTags(WCAG21_AA);
  if (include) builder = builder.include(include);
  const { violations: found } = await builder.analyze();
  return found.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ').trim()}`));
}

async function assertAccessible(page, what, include) {
  const found = await violations(page, include);
  assert.deepEqual(found, [], `${what}: axe found WCAG 2.1 A/AA violations`);
}

/** Sends `text` (unique in the conversation) from the open widget and waits for the bot's
 * acknowledgement after it, whenever the history before it arrives. */
async function say(w, text) {
  await w.input().fill(text);
  await w.input().press('Enter');
  await eventually(async () => {
    const log = await w.logText();
    const at = log.lastIndexOf(text);
    assert.ok(at >= 0 && log.slice(at).includes('Thanks, '), log);
  }, { message: `the answer to "${text}"` });
}

/** Where the keyboard focus is: on the page, on the widget's launcher, in its panel, or nowhere. */
function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return { where: 'body' };
    if (!a.shadowRoot) return { where: 'page', name: a.id || a.localName };
    const inner = a.shadowRoot.activeElement;
    if (!inner) return { where: 'widget' };
    const where = a.shadowRoot.querySelector('.panel').contains(inner) ? 'panel' : 'widget';
    return { where, name: inner.getAttribute('aria-label') || inner.textContent.trim() };
  });
}

/** Tabs (forward, or backward with `shift`) until the focus is on `name`, at most `max` times. */
async function tabTo(page, name, { shift = false, max = 8 } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
    if ((await focused(page)).name === name) return;
  }
  throw new Error(`"${name}" not reached by ${max} presses of ${shift ? 'Shift+Tab' : 'Tab'}; focus: ${JSON.stringify(await focused(page))}`);
}

/** Contrast ratios of text on the bot's colour in the open widget, as the browser renders it. */
function inkContrasts(page) {
  return page.locator('concierge-chat').evaluate((host) => {
    const root = host.shadowRoot;
    const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) =>
      [r, g, b].map((v) => v / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
        .reduce((s, c, i) => s + c * [0.2126, 0.7152, 0.0722][i], 0);
    const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
    const on = (sel, bgSel) => {
      const text = root.querySelector(sel);
      const bg = root.querySelector(bgSel);
      return +ratio(rgb(getComputedStyle(text).color), rgb(getComputedStyle(bg).backgroundColor)).toFixed(2);
    };
    return {
      title: on('h2', 'header'),
      subtitle: on('.sub', 'header'),
      send: on('.send', '.send'),
      bubble: on('.me', '.me'),
      time: on('.me time', '.me'),
      ink: getComputedStyle(root.querySelector('.w')).getPropertyValue('--t').trim(),
    };
  });
}

describe('accessibility', { skip: skipReason() }, () => {
  let f;
  let bot;
  let gaps;
  let dash;
  let dashTracker;
  const ids = {};

  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support');
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    await f.server.patchBot(bot.id, { rules: ACKNOWLEDGE });
    const article = await f.server.admin('POST', `/bots/${bot.id}/articles`, {
      title: 'Shipping times',
      body: 'Orders ship within **2 business days**.',
    });
    ids.article = article.id;
    // Alice has written once: a contact, a conversation, an attempt in the log.
    const s = await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-alice' });
    await f.server.widgetSend(s.session_token, 'Where is my parcel?');
    ids.conversation = s.conversation.id;
    ids.contact = (await f.server.contacts(bot.id))[0].id;
    // An anonymous visitor asks another bot, one without rules, what no article answers:
    // a question to review.
    gaps = await f.server.createBot('Acme Shop');
    await f.server.admin('POST', `/bots/${gaps.id}/articles`, { title: 'Shipping times', body: 'Orders ship in 2 days.' });
    const anonymous = await f.server.widgetSession({ bot_id: gaps.id });
    await f.server.widgetSend(anonymous.session_token, 'Do you sell gift cards?');

    const context = await f.browser.newContext({ viewport: { width: 1280, height: 900 } });
    dash = await context.newPage();
    dash.setDefaultTimeout(10_000);
    dashTracker = trackPage(dash).allow(/the server responded with a status of 4\d\d/);
    // The first-run page, checked before its link is spent.
    await dash.goto(await setupLink(f));
    ids.setupViolations = await violations(dash);
    await signUpFirstUser(f, dash, 'ada@acme.example', 'correct horse battery staple');
  });
  after(async () => {
    await f?.close();
  });

  test('every dashboard page passes axe (WCAG 2.1 A/AA)', async (t) => {
    let question;
    await eventually(async () => {
      const listed = await f.server.admin('GET', `/bots/${gaps.id}/unanswered`);
      assert.equal(listed.items.length, 1);
      question = listed.items[0].id;
    });
    const pages = [
      ['bots', '/bots'],
      ['bot settings', `/bots/${bot.id}`],
      ['bot answers', `/bots/${bot.id}/answers`],
      ['knowledge', `/bots/${bot.id}/knowledge`],
      ['new article', `/bots/${bot.id}/knowledge/new`],
      ['article', `/bots/${bot.id}/knowledge/${ids.article}`],
      ['unanswered questions', `/bots/${gaps.id}/unanswered`],
      ['answer a question with an article', `/bots/${gaps.id}/unanswered/${question}`],
      ['language model', `/bots/${bot.id}/model`],
      ['custom authentication', `/bots/${bot.id}/custom-auth`],
      ['embed', `/bots/${bot.id}/embed`],
      ['inbox', `/inbox?bot=${bot.id}`],
      ['inbox conversation', `/inbox?bot=${bot.id}&c=${ids.conversation}`],
      ['contacts', `/contacts?bot=${bot.id}`],
      ['contact', `/contacts/${ids.contact}`],
      ['authentication log', `/auth-log?bot=${bot.id}`],
      ['not found', '/bots/no-such-bot'],
    ];
    const found = ids.setupViolations.map((v) => `first-run setup: ${v}`);
    for (const [what, path] of pages) {
      await dash.goto(f.server.url + path);
      for (const v of await violations(dash)) found.push(`${what} (${path}): ${v}`);
    }
    // Signed out: the sign-in page, and the setup page once its link is spent.
    const { page: out } = await openPage(f, t, `${f.server.url}/login`);
    for (const v of await violations(out)) found.push(`sign in: ${v}`);
    await out.goto(`${f.server.url}/setup?token=spent`);
    for (const v of await violations(out)) found.push(`setup, link spent: ${v}`);
    // A refused sign-in shows its alert.
    await out.goto(`${f.server.url}/login`);
    await out.getByLabel('Email').fill('ada@acme.example');
    await out.getByLabel('Password').fill('not the password');
    await out.getByRole('button', { name: 'Sign in' }).click();
    await out.getByRole('alert').waitFor();
    for (const v of await violations(out)) found.push(`sign in, refused: ${v}`);
    assert.deepEqual(found, [], 'axe found WCAG 2.1 A/AA violations');
    dashTracker.check();
  });

  test('the widget passes axe closed, open with messages and on a phone, and text on every bot colour reads at 4.5:1', async (t) => {
    // The default blue, a pale yellow (dark text), a mid-tone violet (white reads only
    // 4.2:1 on it), and a dark teal.
    for (const color of ['#2563eb', '#fde68a', '#8b5cf6', '#0f766e']) {
      await f.server.patchBot(bot.id, { color });
      const appearance = await (await fetch(`${f.server.url}/api/widget/v1/bots/${bot.id}`)).json();
      const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-bob' } }));
      const { page, tracker, w } = await openPage(f, t, url);
      await w.launcher().waitFor();
      await assertAccessible(page, `${color}: closed`, 'concierge-chat');
      await w.open('Acme Support');
      await say(w, `Hello, is anyone there? (${color})`);
      await assertAccessible(page, `${color}: open with messages`, 'concierge-chat');
      const c = await inkContrasts(page);
      assert.equal(c.ink, appearance.text_color, `${color}: the widget writes the server's text colour`);
      for (const [where, ratio] of Object.entries(c)) {
        if (where !== 'ink') assert.ok(ratio >= 4.5, `${color}: ${where} text reads at ${ratio}:1, below 4.5:1 (${JSON.stringify(c)})`);
      }
      await screenshot(page, `a11y-widget-${color.slice(1)}`);
      tracker.check();
    }
    // The mid-tone colour gets dark text, and the dashboard says why.
    await f.server.patchBot(bot.id, { color: '#8b5cf6' });
    await dash.goto(`${f.server.url}/bots/${bot.id}`);
    assert.match(await dash.locator('#color-hint').innerText(), /Text on this colour is dark \(5\.0:1\), because white text would be only 4\.2:1/);
    await screenshot(dash, 'a11y-settings-dark-text');

    await f.server.patchBot(bot.id, { color: '#2563eb' });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-bob' } }));
    const { page, tracker, w } = await openPage(f, t, url, { viewport: PHONE, isMobile: true, hasTouch: true });
    await w.open('Acme Support');
    await say(w, 'Hello from my phone');
    await assertAccessible(page, 'phone: open with messages', 'concierge-chat');
    // iOS zooms into inputs under 16px.
    assert.equal(await w.input().evaluate((e) => getComputedStyle(e).fontSize), '16px');
    tracker.check();
  });

  test('keyboard: open, send, ask for a person, and Escape still closes', async (t) => {
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-carol' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    await w.launcher().waitFor();
    await tabTo(page, 'Open chat');
    await page.keyboard.press('Enter');
    await w.dialog('Acme Support').waitFor();
    assert.deepEqual(await focused(page), { where: 'panel', name: 'Message' }, 'opening moves focus to the message box');
    assert.equal(await w.dialog('Acme Support').getAttribute('aria-modal'), 'false', 'not modal beside the page');
    await page.keyboard.type('Hello there');
    await page.keyboard.press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Thanks, Carol!/));

    await tabTo(page, 'Talk to a person', { shift: true });
    await page.keyboard.press('Enter');
    await eventually(async () => assert.equal(await page.locator('concierge-chat').locator('.sub').innerText(), 'Waiting for a person to join…'));
    await eventually(async () => assert.equal(await page.getByRole('button', { name: 'Talk to a person' }).isVisible(), false));
    // The button went away with the focus on it: the focus moved to the message box.
    assert.deepEqual(await focused(page), { where: 'panel', name: 'Message' }, 'focus after "Talk to a person"');
    await page.keyboard.press('Escape');
    await w.dialog('Acme Support').waitFor({ state: 'hidden' });
    assert.deepEqual(await focused(page), { where: 'widget', name: 'Open chat' }, 'Escape returns focus to the launcher');
    tracker.check();
  });

  test('phone: the full-screen panel keeps the focus until it closes', async (t) => {
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-bob' } }));
    const { page, tracker, w } = await openPage(f, t, url, { viewport: PHONE, isMobile: true, hasTouch: true });
    await w.launcher().waitFor();
    await tabTo(page, 'Open chat');
    await page.keyboard.press('Enter');
    const dialog = w.dialog('Acme Support');
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute('aria-modal'), 'true');
    await w.input().fill('Checking the keyboard');
    for (const key of ['Tab', 'Shift+Tab']) {
      const seen = new Set();
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press(key);
        const at = await focused(page);
        assert.equal(at.where, 'panel', `${key} × ${i + 1} left the panel: ${JSON.stringify(at)}`);
        seen.add(at.name);
      }
      assert.ok(seen.has('Close chat') && seen.has('Send') && seen.has('Message'), `${key} cycles through the panel: ${[...seen]}`);
    }
    // Focus sent to the page beneath by other means (a script, here) comes back.
    await page.locator('#page-counter').focus();
    assert.equal((await focused(page)).where, 'panel', 'the page beneath cannot take the focus');
    await screenshot(page, 'a11y-phone-focus');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(await focused(page), { where: 'widget', name: 'Open chat' }, 'closing returns focus to the launcher');
    tracker.check();
  });

  test('screen readers hear replies while the panel is closed, and who is typing', async (t) => {
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    const sockets = watchSockets(page);
    await w.open('Acme Support');
    // The typing signal only travels over the socket.
    await eventually(() => assert.ok(sockets.received.some((m) => m.type === 'ready')), { message: 'socket ready' });
    // Every text the typing status line ever says.
    await page.locator('concierge-chat').evaluate((host) => {
      const said = host.shadowRoot.querySelector('[role=status]');
      window.__said = [];
      new MutationObserver(() => said.textContent && window.__said.push(said.textContent)).observe(said, { childList: true, characterData: true, subtree: true });
    });
    await w.input().fill('Is my order on its way?');
    await w.input().press('Enter');
    await eventually(async () => assert.ok((await page.evaluate(() => window.__said)).includes('Acme Support is typing…')), {
      message: 'the typing indicator is announced in words',
    });
    // The answer ends it.
    await eventually(async () => assert.equal(await page.locator('concierge-chat').locator('[role=status]').textContent(), ''));
    assert.match(await w.logText(), /Is my order on its way\?\s+.*Thanks, Alice!/s);
    // One "Close chat" only: the launcher minimizes.
    assert.equal(await w.closer().count(), 1);
    await w.closer().click();

    // Alice's conversation, the one the widget shows her.
    await f.server.admin('POST', `/conversations/${ids.conversation}/messages`, { text: 'Your parcel left our warehouse today.' });
    const news = page.locator('concierge-chat').locator('#news');
    await eventually(async () => assert.match(await news.textContent(), /^New message from .+: Your parcel left our warehouse today\.$/));
    assert.equal(await news.getAttribute('aria-live'), 'polite');
    assert.equal(await w.launcher().getAttribute('aria-describedby'), 'badge');
    tracker.check();
  });

  test('forced colours: the widget keeps its outlines (screenshot to look at)', async (t) => {
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-bob' } }));
    const { page, tracker, w } = await openPage(f, t, url, { forcedColors: 'active', colorScheme: 'dark' });
    await w.open('Acme Support');
    await say(w, 'High contrast, please');
    const borders = await page.locator('concierge-chat').evaluate((host) => {
      const root = host.shadowRoot;
      const of = (sel) => {
        const s = getComputedStyle(root.querySelector(sel));
        return { width: parseFloat(s.borderTopWidth), style: s.borderTopStyle, color: s.borderTopColor };
      };
      return { launcher: of('.launch'), panel: of('.panel'), send: of('.send'), mine: of('.me'), theirs: of('.them:not(.greet)'), close: of('.x') };
    });
    for (const [what, b] of Object.entries(borders)) {
      assert.ok(b.width >= 1 && b.style === 'solid', `${what} has a border in forced colours: ${JSON.stringify(b)}`);
      assert.doesNotMatch(b.color, /rgba\(0, 0, 0, 0\)|transparent/, `${what}'s border is painted: ${JSON.stringify(b)}`);
    }
    await screenshot(page, 'a11y-forced-colours');
    tracker.check();
  });

  test('Custom Authentication by keyboard: a bad timeout explained, save and test keep the focus', async () => {
    await dash.goto(`${f.server.url}/bots/${bot.id}/custom-auth`);
    await dash.getByLabel('Timeout').focus();
    await dash.keyboard.press('ControlOrMeta+a');
    await dash.keyboard.type('5');
    await dash.getByRole('button', { name: 'Save' }).focus();
    await dash.keyboard.press('Enter');
    const error = dash.locator('#timeout_ms-error');
    await eventually(async () => assert.equal(await error.innerText(), 'Enter a time between 100 and 30,000 milliseconds (5 is not).'));
    await dash.getByLabel('Timeout').focus();
    await dash.keyboard.press('ControlOrMeta+a');
    await dash.keyboard.type('5000');
    await dash.getByRole('button', { name: 'Save' }).focus();
    await dash.keyboard.press('Enter');
    await dash.getByText('Saved', { exact: true }).waitFor();
    assert.equal(await dash.evaluate(() => document.activeElement?.id), 'save', 'the focus stays on Save');

    await dash.getByLabel('access_token').focus();
    await dash.keyboard.type('tok-bob');
    await dash.keyboard.press('Tab');
    const send = dash.getByRole('button', { name: 'Send test request' });
    while (!(await send.evaluate((b) => b === document.activeElement))) await dash.keyboard.press('Tab');
    await dash.keyboard.press('Enter');
    await dash.locator('#test-result .verdict').waitFor();
    assert.equal(await send.evaluate((b) => b === document.activeElement), true, 'the focus stays on "Send test request"');
    await assertAccessible(dash, 'custom authentication with a test result');
    await screenshot(dash, 'a11y-custom-auth-tested');
    dashTracker.check();
  });

  test('inbox by keyboard: taking over and resolving keep the focus where the work goes on', async () => {
    // Back to the bot (a person answered it in an earlier test).
    await f.server.admin('POST', `/conversations/${ids.conversation}/handback`, {});
    await dash.goto(`${f.server.url}/inbox?bot=${bot.id}&c=${ids.conversation}`);
    const takeOver = dash.getByRole('button', { name: 'Take over' });
    await takeOver.focus();
    await dash.keyboard.press('Enter');
    await takeOver.waitFor({ state: 'hidden' });
    assert.match(await dash.locator('#handler').innerText(), /is answering\.$/);
    assert.equal(await dash.evaluate(() => document.activeElement?.id), 'reply-text', 'after taking over, the reply box');
    await dash.getByRole('button', { name: 'Resolve' }).focus();
    await dash.keyboard.press('Enter');
    await takeOver.waitFor();
    assert.equal(await dash.evaluate(() => document.activeElement?.id), 'take-over', 'after resolving, "Take over" again');
    dashTracker.check();
  });

  test('bot pickers wait for their button: choosing with the keyboard does not reload the page', async () => {
    const other = await f.server.createBot('Other Bot');
    const navigations = [];
    const record = (r) => r.isNavigationRequest() && navigations.push(r.url());
    dash.on('request', record);
    try {
      for (const path of [`/inbox?bot=${bot.id}`, `/contacts?bot=${bot.id}`, `/auth-log?bot=${bot.id}`]) {
        await dash.goto(f.server.url + path);
        navigations.length = 0;
        await dash.getByLabel('Bot', { exact: true }).focus();
        await dash.keyboard.press('ArrowDown');
        await dash.keyboard.press('ArrowUp');
        await dash.getByLabel('Bot', { exact: true }).selectOption(other.id);
        // A form submitted on change starts its navigation at once, within this turn.
        await dash.evaluate(() => new Promise((r) => setTimeout(r, 0)));
        assert.deepEqual(navigations, [], `${path}: changing the picker reloaded the page`);
        assert.equal(await dash.getByLabel('Bot', { exact: true }).inputValue(), other.id);
      }
    } finally {
      dash.off('request', record);
    }
  });
});
