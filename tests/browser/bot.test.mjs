// The bot in the widget: answers from the knowledge base personalised with verified data,
// a language model's answer appearing as it is written, and the handoff to a person and
// back, with the header saying who answers.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import {
  GREETING, eventually, occurrences, openPage, plainPage, screenshot, setup, skipReason, startCustomer,
} from './harness.mjs';

// Markup, template code and Markdown emphasis, none of which may take effect.
const HOSTILE = '<img src=x onerror="window.__pwned=1">{{ 7*7 }} **not bold** _nor this_';
const BOT_ANSWERS = 'Bot replies instantly · a person on request';

/** An OpenAI-compatible model on loopback that streams `pieces`, `gap` ms apart. */
async function startModel(pieces, gap) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      requests.push(JSON.parse(raw));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of pieces) {
        await new Promise((r) => setTimeout(r, gap));
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

describe('the bot', { skip: skipReason() }, () => {
  let f;
  let customer;
  let bot;
  before(async () => {
    f = await setup();
    // Eve's metadata tries to inject markup and template code.
    customer = await startCustomer({
      'tok-alice': { id: 'u-1', email: 'alice@example.com', name: 'Alice', metadata: { plan: 'pro' } },
      'tok-eve': { id: 'u-6', name: 'Eve', metadata: { plan: HOSTILE } },
    });
    bot = await f.server.createBot('Acme Support', { color: '#0f766e', greeting: GREETING });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: customer.url });
    for (const [title, body] of [
      ['Resetting your password', 'Go to **Settings → Security** and choose *Reset password*. The link works for 30 minutes.'],
      ['Which plan am I on?', 'You are on the **{{ contact.metadata.plan | default("free") }}** plan, {{ contact.name | default("friend") }}.'],
      ['Shipping times', 'Orders ship within 2 business days.'],
    ]) {
      await f.server.admin('POST', `/bots/${bot.id}/articles`, { title, body });
    }
  });
  after(async () => {
    await Promise.allSettled([f?.close(), customer?.close()]);
  });

  const pageFor = (token) =>
    f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token } }));
  const subtitle = (page) => page.locator('concierge-chat').locator('.sub');
  /** The header's subtitle, once it says `text`, shown whole (not cut off with an ellipsis). */
  const says = (page, text) =>
    eventually(async () => {
      assert.equal(await subtitle(page).innerText(), text);
      const cut = await subtitle(page).evaluate((e) => e.scrollWidth > e.clientWidth);
      assert.equal(cut, false, `"${text}" fits the header`);
    });
  /** The emphasis elements in the log: [tag, text] in order. */
  const emphasis = (page) =>
    page.locator('concierge-chat').evaluate((h) =>
      [...h.shadowRoot.querySelectorAll('.log strong, .log em')].map((e) => [e.localName, e.textContent]));
  const ask = async (w, text) => {
    await w.input().fill(text);
    await w.input().press('Enter');
  };

  for (const [name, viewport] of [['desktop', undefined], ['phone', { width: 360, height: 740 }]]) {
    test(`answers from the knowledge base with the verified plan in bold, and says the bot answers (${name})`, async (t) => {
      const { page, tracker, w } = await openPage(f, t, pageFor('tok-alice'), viewport && { viewport, isMobile: true });
      await w.open('Acme Support');
      await eventually(async () => assert.match(await w.dialog('Acme Support').innerText(), /Hi Alice! How can we help\?/));
      await says(page, BOT_ANSWERS);
      // Alice's history is in the log already: wait for one answer more than before.
      for (const [question, answer] of [
        ['Which plan am I on?', 'You are on the pro plan, Alice.'],
        ['how do I reset my password', 'Go to Settings → Security and choose Reset password. The link works for 30 minutes.'],
      ]) {
        const before = occurrences(await w.logText(), answer);
        await ask(w, question);
        await eventually(async () => assert.equal(occurrences(await w.logText(), answer), before + 1, answer));
      }
      // The articles' Markdown emphasis, as elements; the text around it is unchanged.
      const seen = await emphasis(page);
      for (const expected of [['strong', 'pro'], ['strong', 'Settings → Security'], ['em', 'Reset password']]) {
        assert.ok(seen.some(([tag, text]) => tag === expected[0] && text === expected[1]), `${expected}: ${JSON.stringify(seen)}`);
      }
      const weight = await page.locator('concierge-chat').locator('.log strong').last()
        .evaluate((e) => Number(getComputedStyle(e).fontWeight));
      assert.ok(weight >= 600, `bold is visibly bold (${weight})`);
      await screenshot(page, name === 'phone' ? 'bot-knowledge-answer-phone' : 'bot-knowledge-answer');
      assert.deepEqual(tracker.pageErrors, []);
    });
  }

  test('a long article is answered with the section that answers, under its title, on a phone', async (t) => {
    const body = [
      'What you can do\nSwim laps in a pool or in the sea, shower with the watch on and wear it in the rain. Start a '
        + 'Pool Swim workout to count lengths and strokes; the screen locks itself in the water so that a splash cannot '
        + 'press a button, and you unlock it by holding the side button for three seconds.',
      'Heat and steam\nKeep the watch out of saunas, steam rooms and hot tubs. Heat softens the seals that keep the '
        + 'water out, and a watch that has been in a sauna may let water in the next time you swim, even if it looked '
        + 'fine afterwards. Leave it in your locker before you go in.',
      'After the sea\nRinse the watch under a slow tap of fresh water after swimming in salt water or in a chlorinated '
        + 'pool, and dry it with a soft cloth. Salt and chlorine left in the buttons make them stiff over time. Do not '
        + 'use soap, and do not put the watch under a high-pressure jet.',
      'Water damage\nOur warranty covers water damage only when the watch was used within these limits. If water got '
        + 'in, turn the watch off, let it dry for a day and contact us with your order number; we tell you whether a '
        + 'repair or a replacement is covered.',
    ].join('\n\n');
    const article = await f.server.admin('POST', `/bots/${bot.id}/articles`, { title: 'Is my watch waterproof?', body });
    t.after(() => f.server.admin('DELETE', `/bots/${bot.id}/articles/${article.id}`));

    const { page, tracker, w } = await openPage(f, t, pageFor('tok-alice'), { viewport: { width: 360, height: 740 }, isMobile: true });
    await w.open('Acme Support');
    await ask(w, 'can I take my watch into the sauna?');
    const answer = page.locator('concierge-chat').locator('.b', { hasText: 'Keep the watch out of saunas' }).last();
    await answer.waitFor();
    const text = await answer.innerText();
    // The title, then the section on heat with its heading on a line of its own.
    assert.match(text, /Is my watch waterproof\?\s*\n\s*Heat and steam\s*\nKeep the watch out of saunas/, text);
    for (const other of ['Pool Swim', 'soft cloth', 'warranty']) assert.ok(!text.includes(other), `only the section: ${text}`);
    assert.deepEqual(await answer.evaluate((b) => [...b.querySelectorAll('strong')].map((e) => e.textContent)),
      ['Is my watch waterproof?']);
    await screenshot(page, 'bot-long-article-section-phone');
    tracker.check();
  });

  test("metadata that looks like markup, template code or Markdown is shown as text", async (t) => {
    const { page, w } = await openPage(f, t, pageFor('tok-eve'));
    await w.open('Acme Support');
    await ask(w, 'Which plan am I on?');
    await eventually(async () => assert.ok((await w.logText()).includes(`You are on the ${HOSTILE} plan, Eve.`)));
    assert.equal(await page.locator('concierge-chat').locator('img').count(), 0, 'no element was injected');
    // The article makes the plan bold; the plan's own asterisks and underscores stay text.
    assert.deepEqual(await emphasis(page), [['strong', HOSTILE]]);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await screenshot(page, 'bot-injection-as-text');
  });

  test('a greeting with emphasis is bold from the first bubble on, also after a reload', async (t) => {
    const greeter = await f.server.createBot('Greeter', { greeting: '**Welcome**, {{ contact.name | default("friend") }}!' });
    await f.server.putCustomAuth(greeter.id, { enabled: true, url: customer.url });
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': greeter.id, token: 'tok-alice' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    const greet = page.locator('concierge-chat').locator('.greet');
    const shown = () => greet.evaluate((g) => [g.textContent, [...g.querySelectorAll('strong')].map((e) => e.textContent)]);
    await w.open('Greeter');
    await eventually(async () => assert.deepEqual(await shown(), ['Welcome, Alice!', ['Welcome']]));
    await page.reload();
    await w.open('Greeter');
    await eventually(async () => assert.deepEqual(await shown(), ['Welcome, Alice!', ['Welcome']]), {
      message: 'the reused session learns its greeting from the socket',
    });
    tracker.check();
  });

  test('emphasis the widget cannot trust is ignored, and the text stays whole', async (t) => {
    const SHIPPING = 'Orders ship within 2 business days.';
    const polling = f.host.page(plainPage({
      serverUrl: f.server.url,
      data: { 'bot-id': bot.id, token: 'tok-alice' },
      head: '<script>window.WebSocket = undefined;</script>',
    }));
    // The server's answers, with ranges no server of ours would send added to bot messages.
    const tampered = [
      { start: 0, end: 6, style: 'strong' }, // "Orders"
      { start: 3, end: 10, style: 'em' }, // crosses "Orders"
      { start: 1, end: 3, style: 'em' }, // inside "Orders"
      { start: 0, end: 9999, style: 'em' }, // past the end
      { start: 12, end: 12, style: 'strong' }, // empty
      { start: 12, end: 18, style: 'script' }, // unknown style
      { start: '12', end: 18, style: 'em' }, // not a number
      null,
    ];
    const { page, tracker, w } = await openPage(f, t, polling, {
      before: (p) =>
        p.route((u) => u.pathname === '/api/widget/v1/messages', async (route) => {
          if (route.request().method() !== 'GET') return route.continue();
          const response = await route.fetch();
          const json = await response.json();
          for (const m of json.items ?? []) if (m.text === SHIPPING) m.styles = tampered;
          await route.fulfill({ response, json });
        }),
    });
    await w.open('Acme Support');
    await ask(w, 'When will my order ship?');
    const answer = page.locator('concierge-chat').locator('.b', { hasText: SHIPPING }).last();
    await answer.waitFor();
    const shown = await answer.evaluate((b) => ({
      text: b.querySelector('time').previousSibling.textContent,
      emphasis: [...b.querySelectorAll('strong, em')].map((e) => [e.localName, e.textContent]),
    }));
    assert.deepEqual(shown, { text: SHIPPING, emphasis: [['strong', 'Orders'], ['em', 'rd']] });
    tracker.check();
  });

  test('asking for a person: waiting, a person answers by name, resolved back to the bot', async (t) => {
    const { page, w } = await openPage(f, t, pageFor('tok-alice'));
    await w.open('Acme Support');
    await page.getByRole('button', { name: 'Talk to a person' }).click();
    await says(page, 'Waiting for a person to join…');
    await eventually(async () => assert.match(await w.logText(), /I'm bringing in a person from our team/));
    assert.equal(await page.getByRole('button', { name: 'Talk to a person' }).isVisible(), false);
    await screenshot(page, 'bot-handoff-waiting');

    const [conversation] = (await f.server.admin('GET', `/bots/${bot.id}/conversations`)).items;
    assert.equal(conversation.handled_by, 'waiting');
    await f.server.admin('POST', `/conversations/${conversation.conversation_id}/messages`, { text: 'Hi Alice, how can I help?' });
    await says(page, "You're chatting with Support team");
    await eventually(async () => assert.match(await w.logText(), /Support team\s*Hi Alice, how can I help\?/));
    await screenshot(page, 'bot-handoff-agent');

    await f.server.admin('POST', `/conversations/${conversation.conversation_id}/handback`, {});
    await says(page, BOT_ANSWERS);
    // Asked before, in this conversation: the answer to count is the one after this question.
    const answers = (await w.logText()).split('Orders ship within 2 business days.').length;
    await ask(w, 'When will my order ship?');
    await eventually(async () =>
      assert.equal((await w.logText()).split('Orders ship within 2 business days.').length, answers + 1));
  });

  test('a reload in the middle of an answer shows it whole, never from the middle of a sentence', async (t) => {
    // Words of its own: the conversation goes on in the tests after this one.
    const pieces = ['Hi Alice! ', 'Your orders are ', 'under Account → Orders, ', 'newest first, ', 'with tracking links.'];
    const model = await startModel(pieces, 700);
    t.after(() => model.close());
    await f.server.admin('PUT', `/bots/${bot.id}/llm`, {
      enabled: true, base_url: model.baseUrl, model: 'test-model', api_key: 'sk-browser-test', timeout_ms: 10_000,
    });
    t.after(() => f.server.admin('PUT', `/bots/${bot.id}/llm`, { enabled: false }));
    const { page, w } = await openPage(f, t, pageFor('tok-alice'));
    await w.open('Acme Support');
    await ask(w, 'Where do I see my orders?');
    await eventually(async () => assert.ok((await w.logText()).includes('under Account → Orders,')));
    await page.reload();
    await w.open('Acme Support');
    // What a half-written answer looks like after the reload, until the stored one arrives.
    const seen = new Set();
    await eventually(async () => {
      for (const text of await page.locator('concierge-chat .b.draft span[dir="auto"]').allInnerTexts()) seen.add(text.trim());
      assert.ok((await w.logText()).includes(pieces.join('').trim()), 'the stored answer');
    }, { interval: 50 });
    for (const text of seen) assert.ok(text.startsWith('Hi Alice!'), `a draft from the middle: "${text}"`);
    assert.equal((await w.logText()).split(pieces.join('').trim()).length - 1, 1, 'shown once');
  });

  test("a language model's answer appears piece by piece, then stays as one message", async (t) => {
    const pieces = ['Hi Alice! ', 'Open Settings → Security, ', 'choose Reset password, ', 'and check your email.'];
    const model = await startModel(pieces, 400);
    t.after(() => model.close());
    await f.server.admin('PUT', `/bots/${bot.id}/llm`, {
      enabled: true, base_url: model.baseUrl, model: 'test-model', api_key: 'sk-browser-test', timeout_ms: 5000,
    });
    t.after(() => f.server.admin('PUT', `/bots/${bot.id}/llm`, { enabled: false }));

    const { page, w } = await openPage(f, t, pageFor('tok-alice'));
    await w.open('Acme Support');
    await ask(w, 'I forgot my password, what now?');
    // Part of the answer is on screen while the rest is still being written.
    await eventually(async () => {
      const text = await w.logText();
      assert.ok(text.includes('Open Settings → Security,') && !text.includes('check your email'), text);
      // A screen reader is not read the answer piece by piece: the draft is hidden from it.
      const hidden = await page.locator('concierge-chat .b.draft').evaluateAll((bs) => bs.map((b) => b.ariaHidden));
      assert.deepEqual(hidden, ['true']);
    });
    await screenshot(page, 'bot-streaming');
    await eventually(async () => assert.ok((await w.logText()).includes(pieces.join(''))));
    await page.reload();
    await w.open('Acme Support');
    await eventually(async () => assert.equal((await w.logText()).split(pieces.join('')).length - 1, 1, 'stored once'));
    // The request for this question (a turn of the previous test may still reach the model).
    const request = model.requests.find((r) => r.messages.at(-1)?.content.includes('I forgot my password'));
    assert.ok(request, `the model was asked this question: ${JSON.stringify(model.requests.map((r) => r.messages.at(-1)))}`);
    const prompt = request.messages.map((m) => m.content).join('\n');
    assert.match(prompt, /Resetting your password/);
    assert.match(prompt, /"plan": ?"pro"/);
  });
});
