// The bot in the widget: answers from the knowledge base personalised with verified data,
// a language model's answer appearing as it is written, and the handoff to a person and
// back, with the header saying who answers.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { GREETING, eventually, openPage, plainPage, screenshot, setup, skipReason, startCustomer } from './harness.mjs';

const HOSTILE = '<img src=x onerror="window.__pwned=1">{{ 7*7 }}';

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
  const ask = async (w, text) => {
    await w.input().fill(text);
    await w.input().press('Enter');
  };

  test('answers from the knowledge base with the verified plan, and says the bot is answering', async (t) => {
    const { page, tracker, w } = await openPage(f, t, pageFor('tok-alice'));
    await w.open('Acme Support');
    await eventually(async () => assert.match(await w.dialog('Acme Support').innerText(), /Hi Alice! How can we help\?/));
    await eventually(async () => assert.equal(await subtitle(page).innerText(), 'Bot is answering'));
    await ask(w, 'Which plan am I on?');
    await eventually(async () => assert.match(await w.logText(), /You are on the pro plan, Alice\./));
    await ask(w, 'how do I reset my password');
    await eventually(async () =>
      assert.match(await w.logText(), /Go to Settings → Security and choose Reset password\. The link works for 30 minutes\./),
    );
    await screenshot(page, 'bot-knowledge-answer');
    assert.deepEqual(tracker.pageErrors, []);
  });

  test("metadata that looks like markup or template code is shown as text", async (t) => {
    const { page, w } = await openPage(f, t, pageFor('tok-eve'));
    await w.open('Acme Support');
    await ask(w, 'Which plan am I on?');
    await eventually(async () => assert.ok((await w.logText()).includes(`You are on the ${HOSTILE} plan, Eve.`)));
    assert.equal(await page.locator('concierge-chat').locator('img').count(), 0, 'no element was injected');
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await screenshot(page, 'bot-injection-as-text');
  });

  test('asking for a person: waiting, a person answers by name, resolved back to the bot', async (t) => {
    const { page, w } = await openPage(f, t, pageFor('tok-alice'));
    await w.open('Acme Support');
    await page.getByRole('button', { name: 'Talk to a person' }).click();
    await eventually(async () => assert.equal(await subtitle(page).innerText(), 'Waiting for a person to join…'));
    await eventually(async () => assert.match(await w.logText(), /I'm bringing in a person from our team/));
    assert.equal(await page.getByRole('button', { name: 'Talk to a person' }).isVisible(), false);
    await screenshot(page, 'bot-handoff-waiting');

    const [conversation] = (await f.server.admin('GET', `/bots/${bot.id}/conversations`)).items;
    assert.equal(conversation.handled_by, 'waiting');
    await f.server.admin('POST', `/conversations/${conversation.conversation_id}/messages`, { text: 'Hi Alice, how can I help?' });
    await eventually(async () => assert.equal(await subtitle(page).innerText(), 'Support team is answering'));
    await eventually(async () => assert.match(await w.logText(), /Support team\s*Hi Alice, how can I help\?/));
    await screenshot(page, 'bot-handoff-agent');

    await f.server.admin('POST', `/conversations/${conversation.conversation_id}/handback`, {});
    await eventually(async () => assert.equal(await subtitle(page).innerText(), 'Bot is answering'));
    await ask(w, 'When will my order ship?');
    await eventually(async () => assert.match(await w.logText(), /Orders ship within 2 business days\./));
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
    });
    await screenshot(page, 'bot-streaming');
    await eventually(async () => assert.ok((await w.logText()).includes(pieces.join(''))));
    await page.reload();
    await w.open('Acme Support');
    await eventually(async () => assert.equal((await w.logText()).split(pieces.join('')).length - 1, 1, 'stored once'));
    const prompt = model.requests[0].messages.map((m) => m.content).join('\n');
    assert.match(prompt, /Resetting your password/);
    assert.match(prompt, /"plan": ?"pro"/);
  });
});
