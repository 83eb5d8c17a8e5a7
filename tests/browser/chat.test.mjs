// Chatting (4), reloading (7) and the mobile layout (12).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ACKNOWLEDGE,
  GREETING,
  countEverywhere,
  eventually,
  localStorageEntries,
  occurrences,
  openPage,
  plainPage,
  screenshot,
  setup,
  skipReason,
  typingSeen,
  watchSockets,
  watchTyping,
} from './harness.mjs';

describe('chatting', { skip: skipReason() }, () => {
  let f;
  let bot;
  let url;
  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support', { color: '#0f766e', greeting: GREETING, rules: ACKNOWLEDGE });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
  });
  after(async () => {
    await f?.close();
  });

  test('open, type, Enter sends; the bot answers in real time using the contact name; reload keeps it all', async (t) => {
    const { page, tracker, w } = await openPage(f, t, url);
    const sockets = watchSockets(page);
    await w.launcher().waitFor({ state: 'visible' });
    await screenshot(page, 'closed-launcher');

    await w.launcher().click();
    const dialog = w.dialog('Acme Support');
    await dialog.waitFor();
    // One "Close chat" (the panel's own); the launcher, now a chevron, minimizes.
    assert.equal(await w.closer().count(), 1, 'one button named "Close chat"');
    assert.equal(await w.minimizer().getAttribute('aria-expanded'), 'true');
    await eventually(async () => assert.match(await dialog.innerText(), /Hi Alice! How can we help\?/), {
      message: 'greeting',
    });
    await watchTyping(page);

    await w.input().click();
    await w.input().fill('Where is my order #1042?');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await w.logText(), /Where is my order #1042\?/), {
      message: 'visitor message shown',
    });
    assert.equal(await w.input().inputValue(), '', 'the message box is emptied after sending');

    // The bot's acknowledgement arrives over the socket, addressing Alice.
    const before = await w.logText();
    await eventually(
      async () => {
        const text = await w.logText();
        const added = text.slice(text.indexOf('Where is my order #1042?'));
        assert.match(added, /Alice/, 'the bot answers using the contact name');
      },
      { message: 'bot acknowledgement' },
    );
    const botMessages = sockets.received.filter((m) => m?.type === 'message' && m.message?.author === 'bot');
    assert.ok(botMessages.length >= 1, 'the bot answer came over the WebSocket (real time)');
    // Typing indicator: best effort. If the server said "typing", the widget must have shown it.
    const typingFrames = sockets.received.filter((m) => m?.type === 'typing');
    const seen = await typingSeen(page);
    t.diagnostic(`typing frames: ${typingFrames.length}, indicator seen: ${seen}; log before answer: ${JSON.stringify(before)}`);
    if (typingFrames.length) assert.ok(seen, 'a typing frame was received, so the indicator was shown');

    await screenshot(page, 'open-conversation');

    // Shift+Enter is a newline, not a send (a textarea's natural behaviour kept).
    await w.input().fill('line one');
    await w.input().press('Shift+Enter');
    await w.input().pressSequentially('line two');
    assert.equal(await w.input().inputValue(), 'line one\nline two');
    await w.send().click();
    await eventually(async () => assert.match(await w.logText(), /line one\s+line two/), { message: 'Send button' });

    // 7. Reload: the same session, the same conversation and messages.
    const storedBefore = await localStorageEntries(page);
    const logBefore = await w.logText();

    // Escape closes the panel and gives the focus back to the launcher.
    await w.input().press('Escape');
    await w.dialog('Acme Support').waitFor({ state: 'hidden' });
    assert.ok(await w.launcher().evaluate((el) => el.getRootNode().activeElement === el), 'launcher focused');
    await page.reload();
    await w.launcher().click();
    await w.dialog('Acme Support').waitFor();
    await eventually(
      async () => {
        const text = await w.logText();
        assert.equal(occurrences(text, 'Where is my order #1042?'), occurrences(logBefore, 'Where is my order #1042?'));
        assert.match(text, /line one\s+line two/);
      },
      { message: 'history after reload' },
    );
    const storedAfter = await localStorageEntries(page);
    const key = `concierge:${bot.id}`;
    assert.ok(storedBefore[key], 'the session is stored under concierge:BOT');
    assert.equal(JSON.parse(storedAfter[key]).token, JSON.parse(storedBefore[key]).token, 'the same session token');
    assert.doesNotMatch(storedAfter[key], /tok-alice/, 'the access token itself is never stored');
    tracker.check();
  });

  test('where WebSockets are blocked, the widget chats by HTTP polling', async (t) => {
    const blocked = f.host.page(
      plainPage({
        serverUrl: f.server.url,
        data: { 'bot-id': bot.id, token: 'tok-alice' },
        head: '<script>window.WebSocket = undefined;</script>',
      }),
    );
    const { page, tracker, w } = await openPage(f, t, blocked);
    const sockets = watchSockets(page);
    await w.launcher().click();
    await w.dialog('Acme Support').waitFor();
    await w.input().fill('Hello without a socket');
    await w.input().press('Enter');
    await eventually(
      async () => {
        const text = await w.logText();
        const added = text.slice(text.indexOf('Hello without a socket'));
        assert.match(added, /Thanks, Alice!/, 'the bot answer arrives by polling');
      },
      { message: 'bot answer by polling', timeout: 10_000 },
    );
    assert.equal(sockets.opened, 0, 'no WebSocket was opened');
    tracker.check();
  });

  test('messages are text: markup is shown literally and never becomes elements', async (t) => {
    const { page, tracker, w } = await openPage(f, t, url);
    await w.open('Acme Support');
    const imgsBefore = await countEverywhere(page, 'img');
    const hostile = '<img src=x onerror=alert(1)>';
    await w.input().fill(hostile);
    await w.input().press('Enter');
    await eventually(async () => assert.ok((await w.logText()).includes(hostile), 'the markup is shown as text'), {
      message: 'literal markup',
    });
    const bold = '<b>bold?</b> & &amp; "quotes"';
    await w.input().fill(bold);
    await w.input().press('Enter');
    await eventually(async () => assert.ok((await w.logText()).includes(bold)), { message: 'literal entities' });
    await page.waitForLoadState('networkidle');
    assert.equal(await countEverywhere(page, 'img'), imgsBefore, 'no img element was created');
    assert.equal(await countEverywhere(page, 'b'), 0, 'no b element was created');
    assert.deepEqual(tracker.dialogs, [], 'no alert ran');
    tracker.check();
  });

  // Tokyo is not the server's time zone (UTC here), and German writes 9:05 where English
  // writes 9:05 AM: the times must come from the visitor's browser, not from the server.
  const TOKYO = { locale: 'de-DE', timezoneId: 'Asia/Tokyo' };
  /** `iso` as a Tokyo wall clock: [day of the month, "H:MM"]. */
  const tokyo = (iso) => {
    const d = new Date(Date.parse(iso) + 9 * 3600_000);
    return [d.getUTCDate(), `${d.getUTCHours()}:${String(d.getUTCMinutes()).padStart(2, '0')}`];
  };
  /** The log's stored bubbles: their text and their <time>'s datetime and text. */
  const stamps = (page) =>
    page.locator('concierge-chat').evaluate((host) =>
      [...host.shadowRoot.querySelectorAll('.log .b[data-id]')].map((b) => {
        const t = b.querySelector('time');
        return { id: +b.dataset.id, mine: b.classList.contains('me'), datetime: t?.dateTime, text: t?.textContent };
      }),
    );

  test("each stored message says when it was written, in the visitor's language and time zone", async (t) => {
    const { page, tracker, w } = await openPage(f, t, url, TOKYO);
    const sockets = watchSockets(page);
    // Hold the visitor's message on its way, to see it while it is not stored yet.
    let release;
    const held = new Promise((r) => (release = r));
    await page.route(`${f.server.url}/api/widget/v1/messages`, async (route) => {
      if (route.request().method() === 'POST') await held;
      await route.continue();
    });
    await w.open('Acme Support');
    await w.input().fill('What time is it?');
    await w.input().press('Enter');
    const pending = page.locator('concierge-chat').locator('.b.pending');
    await pending.waitFor();
    assert.equal(await pending.locator('time').count(), 0, 'a message not stored yet has no time');
    release();
    // The history came with the session, the new messages (question and answer) over the socket.
    const written = new Map();
    await eventually(async () => {
      for (const f of sockets.received) if (f?.type === 'message') written.set(f.message.id, f.message.created_at);
      const live = (await stamps(page)).filter((m) => written.has(m.id));
      assert.ok(live.some((m) => m.mine) && live.some((m) => !m.mine), JSON.stringify(live));
    });
    for (const m of await stamps(page)) {
      assert.ok(m.datetime && m.text, `every stored message has a time: ${JSON.stringify(m)}`);
      if (written.has(m.id)) assert.equal(m.datetime, written.get(m.id), "the datetime is the server's created_at");
      assert.equal(m.text, tokyo(m.datetime)[1], 'today: the time only, in Tokyo, written the German way');
    }
    await screenshot(page, 'message-times');
    tracker.check();
  });

  test('a message from an earlier day shows its day and time', async (t) => {
    // The same conversation, seen three days later.
    const later = Date.now() + 3 * 86_400_000;
    const { page, tracker, w } = await openPage(f, t, url, {
      ...TOKYO,
      before: (_page, context) => context.clock.setFixedTime(later),
    });
    await w.open('Acme Support');
    await eventually(async () => assert.ok((await stamps(page)).length > 0));
    for (const m of await stamps(page)) {
      const [day, time] = tokyo(m.datetime);
      assert.match(m.text, new RegExp(`^${day}\\. \\S+, ${time}$`), 'day, month and time, the German way');
    }
    tracker.check();
  });

  test('times are readable on the visitor bubble whatever the bot colour', async (t) => {
    // A dark colour with white text, a light one with near-black text, and one in between.
    for (const color of ['#0f766e', '#fde047', '#7c8a99']) {
      const b = await f.server.createBot(`Colour ${color}`, { color, rules: ACKNOWLEDGE });
      const page0 = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': b.id } }));
      const { page, tracker, w } = await openPage(f, t, page0);
      await w.open(`Colour ${color}`);
      await w.input().fill(`Hello ${color}`);
      await w.input().press('Enter');
      const host = page.locator('concierge-chat');
      await host.locator('.me time').waitFor();
      await host.locator('.them time').first().waitFor();
      const ratios = await host.evaluate((h) => {
        const lum = (css) => {
          const [r, g, b] = css.match(/\d+(\.\d+)?/g).slice(0, 3).map((c) => {
            const v = c / 255;
            return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const ratio = (sel) => {
          const t = h.shadowRoot.querySelector(sel);
          const [a, b] = [getComputedStyle(t).color, getComputedStyle(t.closest('.b')).backgroundColor].map(lum);
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        };
        return { mine: ratio('.me time'), theirs: ratio('.them time') };
      });
      t.diagnostic(`${color}: ${JSON.stringify(ratios)}`);
      assert.ok(ratios.mine >= 4.5 && ratios.theirs >= 4.5, `${color}: contrast ${JSON.stringify(ratios)}`);
      const faded = await host.evaluate((h) => {
        const t = h.shadowRoot.querySelector('.me time');
        return getComputedStyle(t).color !== getComputedStyle(t.closest('.b')).color;
      });
      assert.ok(faded, `${color}: the time is quieter than the message`);
      if (color === '#fde047') await screenshot(page, 'message-times-light-colour');
      tracker.check();
    }
  });

  test('mobile 390×844: the open panel covers the viewport', async (t) => {
    const { page, tracker, w } = await openPage(f, t, url, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await w.launcher().waitFor({ state: 'visible' });
    const launcherBox = await w.launcher().boundingBox();
    assert.ok(launcherBox.width >= 40 && launcherBox.height >= 40, `launcher is a comfortable tap target (${JSON.stringify(launcherBox)})`);
    assert.ok(launcherBox.x + launcherBox.width <= 390 && launcherBox.y + launcherBox.height <= 844, 'launcher inside the viewport');
    await w.launcher().tap();
    const dialog = w.dialog('Acme Support');
    await dialog.waitFor();
    await w.input().fill('Hello from my phone');
    await w.send().tap();
    await eventually(async () => assert.match(await w.logText(), /Hello from my phone/), { message: 'mobile send' });
    await eventually(
      async () => {
        const box = await dialog.boundingBox();
        assert.ok(box, 'dialog has a box');
        assert.ok(Math.abs(box.x) <= 1 && Math.abs(box.y) <= 1, `dialog at the top-left corner: ${JSON.stringify(box)}`);
        assert.ok(Math.abs(box.width - 390) <= 1 && Math.abs(box.height - 844) <= 1, `dialog covers 390×844: ${JSON.stringify(box)}`);
      },
      { message: 'full-screen panel', timeout: 3_000 },
    );
    // The composer and the close control stay reachable on the small screen.
    for (const [name, loc] of [
      ['message box', w.input()],
      ['send button', w.send()],
      ['close button', w.closer()],
    ]) {
      const b = await loc.boundingBox();
      assert.ok(b && b.y >= 0 && b.y + b.height <= 844 && b.x >= 0 && b.x + b.width <= 390, `${name} inside the viewport: ${JSON.stringify(b)}`);
    }
    await screenshot(page, 'mobile-open');
    tracker.check();
  });
});
