// "Try a question" with a sentence-embedding model: a question asked in other words than
// the article's is answered by meaning, and each ranked article shows its two scores, words
// and meaning, so that an operator sees why; a question no article covers is still handed
// to the team. Without a model, the page shows no meaning score and says what the
// confidence is instead; with a model that cannot tell an answer from an unrelated text, it
// says why the meaning does not count.
//
// Needs the model that ./scripts/embedding-model puts in target/models/all-MiniLM-L6-v2,
// given by CONCIERGE_TEST_EMBEDDING_MODEL. Unset, the tests fail on CI (CI=true) and are
// skipped elsewhere, with what to do; CONCIERGE_TEST_SKIP_EMBEDDING_MODEL=1 skips them.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import AxeBuilder from '@axe-core/playwright';

import { ConciergeServer, launchBrowser, screenshot, signUpFirstUser, skipReason, trackPage } from './harness.mjs';

const WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const HOW = 'run ./scripts/embedding-model and set CONCIERGE_TEST_EMBEDDING_MODEL to the directory it prints';

/**
 * `{ dir }`, the model's directory, or `{ skip }`, why these tests are skipped. Unset on CI,
 * or set to a directory without a model, is an error: a run that tested nothing must not
 * look like one that passed.
 */
function embeddingModel() {
  if (['1', 'true'].includes(process.env.CONCIERGE_TEST_SKIP_EMBEDDING_MODEL)) {
    const skip = 'CONCIERGE_TEST_SKIP_EMBEDDING_MODEL is set';
    console.warn(`SKIPPING the embedding-model browser tests: ${skip}`);
    return { skip };
  }
  const dir = process.env.CONCIERGE_TEST_EMBEDDING_MODEL;
  if (!dir) {
    if (process.env.CI === 'true') {
      throw new Error(`CONCIERGE_TEST_EMBEDDING_MODEL is not set, and CI never skips these tests: ${HOW}`);
    }
    const skip = `CONCIERGE_TEST_EMBEDDING_MODEL is not set: ${HOW}`;
    console.warn(`SKIPPING the embedding-model browser tests: ${skip}`);
    return { skip };
  }
  for (const file of ['config.json', 'model.safetensors', 'tokenizer.json']) {
    if (!existsSync(path.join(dir, file))) {
      throw new Error(`CONCIERGE_TEST_EMBEDDING_MODEL=${dir} has no ${file}: ${HOW}`);
    }
  }
  return { dir };
}

const browserSkip = skipReason();
const { dir: MODEL, skip } = browserSkip ? { skip: browserSkip } : embeddingModel();

/**
 * A help center as a shop writes it. The tracking article says neither "package" nor
 * "parcel" (one word to the bot): "where is my package?" shares no meaningful word with it
 * ("where", "is", "my" say nothing about the subject), and only its meaning can find it.
 */
const ARTICLES = [
  {
    title: 'Tracking your order',
    body:
      'Wondering where your order is? As soon as it ships, we email you a tracking link: follow it to see ' +
      'where it is right now and when the courier will bring it.',
  },
  {
    title: 'Refunds',
    body:
      'Changed your mind? Send the item back within 30 days of delivery, unused and in its original box, and we ' +
      'refund the full price to the card you paid with. The refund shows on your statement within 5 to 10 business days.',
  },
  {
    title: 'Resetting your password',
    body:
      'On the sign-in page, choose "Forgot password" and enter the email address of your account. We email you a ' +
      'link to choose a new password; it works for one hour.',
  },
];

/** axe-core's WCAG 2.1 A/AA violations inside `include`, one line each. */
async function violations(page, include) {
  const { violations: found } = await new AxeBuilder({ page }).withTags(WCAG21_AA).include(include).analyze();
  return found.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary}`));
}

/** Asks `question` in Try a question and waits for the result of that question. */
async function tryQuestion(page, question) {
  await page.getByLabel('Question', { exact: true }).fill(question);
  await page.getByRole('button', { name: 'Try it' }).click();
  await page.locator('.try-result').waitFor();
  assert.equal(await page.getByLabel('Question', { exact: true }).inputValue(), question);
  return page.locator('.try-result');
}

/** Each ranked article: title, confidence, and its scores as the page words them. */
async function ranking(result) {
  return result.locator('.ranking li').evaluateAll((items) =>
    items.map((li) => ({
      title: li.querySelector('.rank-head a').textContent.trim(),
      confidence: Number(li.querySelector('.rank-pct').textContent.replace('%', '')),
      used: Boolean(li.querySelector('.badge')),
      scores: Object.fromEntries(
        [...li.querySelectorAll('.rank-scores div')].map((d) => [
          d.querySelector('dt').textContent.trim(),
          d.querySelector('dd').textContent.trim(),
        ]),
      ),
      text: li.innerText,
    })),
  );
}

describe('Try a question with an embedding model: words and meaning', { skip }, () => {
  let server;
  let browser;
  let bot;
  let context;
  let page;
  let tracker;
  before(async () => {
    [browser, server] = await Promise.all([
      launchBrowser(),
      ConciergeServer.start({ env: { CONCIERGE_EMBEDDING_MODEL: MODEL } }),
    ]);
    bot = await server.createBot('Acme Shop', { color: '#0f766e' });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    tracker = trackPage(page);
    await signUpFirstUser({ server }, page, 'owner@acme.example', 'correct horse battery staple');
  });
  after(async () => {
    await context?.close();
    await Promise.allSettled([browser?.close(), server?.close()]);
  });

  test('three help-center articles, written through the form', async () => {
    await page.goto(`${server.url}/bots/${bot.id}/knowledge`);
    for (const { title, body } of ARTICLES) {
      await page.getByRole('link', { name: 'New article' }).click();
      await page.getByLabel('Title').fill(title);
      await page.getByLabel('Answer', { exact: true }).fill(body);
      await page.getByRole('button', { name: 'Create article' }).click();
      await page.getByRole('status').filter({ hasText: 'Article created.' }).waitFor();
    }
    const titles = await page.locator('.kb-title').allInnerTexts();
    assert.deepEqual(titles.toSorted(), ARTICLES.map((a) => a.title).toSorted());
  });

  test('a question in other words is answered by meaning, and the scores say why', async () => {
    const result = await tryQuestion(page, 'where is my package?');
    assert.match(await result.locator('.decision').innerText(), /^Answers/);
    assert.match(await result.locator('.bubble').innerText(), /^Wondering where your order is\?/);

    const ranked = await ranking(result);
    assert.match(ranked[0].text, /Tracking your order\s+Used\s+\d+%/);
    assert.ok(ranked[0].used && !ranked.slice(1).some((r) => r.used), 'only the best article is used');
    // No word in common: the words score nothing, the meaning carries the answer.
    assert.equal(ranked[0].scores.Words, '0%', ranked[0].text);
    const meaning = Number(ranked[0].scores.Meaning.replace('%', ''));
    assert.ok(meaning >= 45 && meaning <= 100, `the tracking article is close in meaning: ${ranked[0].text}`);
    assert.match(ranked[0].text, /Words\s+0%\s+Meaning\s+\d+%/);
    for (const r of ranked) {
      assert.deepEqual(Object.keys(r.scores), ['Words', 'Meaning'], r.text);
      assert.match(r.scores.Meaning, /^\d+%$/, `${r.title}: every article has a meaning score`);
    }
    for (const r of ranked.slice(1)) {
      assert.ok(Number(r.scores.Meaning.replace('%', '')) < meaning, `${r.title} is further in meaning: ${r.text}`);
    }
    const hint = result.locator('.hint', { hasText: 'blends two scores' });
    assert.match(await hint.innerText(), /Words: the weight of the question’s words.*Meaning: how close.*embedding model/s);
    // The level this model's cosines start to mean something at, measured when the server
    // started: 30 for all-MiniLM-L6-v2.
    assert.match(await hint.innerText(), /a Meaning of 30% or less means unrelated/);

    assert.deepEqual(await violations(page, '.try-result'), [], 'axe: the result, with its scores');
    await screenshot(page, 'dashboard-knowledge-meaning', { fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // On a phone the scores stay on one line under the meter, inside the card.
    const fits = await result.locator('.rank-scores').first().evaluate((dl) => {
      const card = dl.closest('.card').getBoundingClientRect();
      const r = dl.getBoundingClientRect();
      return r.left >= card.left && r.right <= card.right && r.height < 30;
    });
    assert.ok(fits, 'the scores fit the card on a 390 px wide screen');
    await screenshot(page, 'dashboard-knowledge-meaning-mobile', { fullPage: true });
    // The result alone, at a size a person can read the scores in.
    await screenshot(result, 'dashboard-knowledge-meaning-result-mobile');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('a question in the article’s own words scores on both', async () => {
    const result = await tryQuestion(page, 'How do I reset my password?');
    assert.match(await result.locator('.decision').innerText(), /^Answers/);
    const [first] = await ranking(result);
    assert.equal(first.title, 'Resetting your password');
    assert.equal(first.scores.Words, '100%', first.text);
    assert.ok(Number(first.scores.Meaning.replace('%', '')) >= 50, first.text);
  });

  test('a question no article covers is handed to the team: nothing is invented', async () => {
    const result = await tryQuestion(page, 'Do you sell gift cards?');
    const decision = result.locator('.decision');
    assert.match(await decision.innerText(), /^Hands the conversation to your team/);
    assert.match(await decision.innerText(), /confidence threshold/);
    const ranked = await ranking(result);
    // Refunds shares a word ("card") with the question, so it is ranked, far below the line.
    assert.ok(ranked.length > 0, 'the articles that share a word or a little meaning are ranked');
    assert.ok(ranked.every((r) => !r.used), 'no article is used');
    assert.ok(ranked.every((r) => /^\d+%$/.test(r.scores.Meaning)), 'each article shows how far it is in meaning');
    await screenshot(page, 'dashboard-knowledge-meaning-handoff', { fullPage: true });
    tracker.check();
  });
});

/**
 * A server (with `env`) whose bot has ARTICLES, and a browser signed in to the dashboard
 * on the bot's knowledge page; the caller closes `browser` and `server`.
 */
async function knowledgePage(env = {}) {
  const [browser, server] = await Promise.all([launchBrowser(), ConciergeServer.start({ env })]);
  try {
    const bot = await server.createBot('Acme Shop');
    for (const article of ARTICLES) await server.admin('POST', `/bots/${bot.id}/articles`, article);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const tracker = trackPage(page);
    await signUpFirstUser({ server }, page, 'owner@acme.example', 'correct horse battery staple');
    await page.goto(`${server.url}/bots/${bot.id}/knowledge`);
    return { browser, server, context, page, tracker };
  } catch (error) {
    await Promise.allSettled([browser.close(), server.close()]);
    throw error;
  }
}

describe('Try a question without an embedding model: the words alone', { skip: browserSkip }, () => {
  test('no meaning score; the page says the confidence is the words', async () => {
    const { browser, server, context, page, tracker } = await knowledgePage();
    try {
      const result = await tryQuestion(page, 'How do I reset my password?');
      const [first] = await ranking(result);
      assert.match(first.text, /Resetting your password\s+Used\s+100%/);
      assert.deepEqual(first.scores, {}, 'no scores beside the confidence, which is the words’ score');
      assert.doesNotMatch(await result.innerText(), /Meaning/);
      assert.match(await result.innerText(), /An article’s confidence is the weight of the question’s words it has/);
      // A slip of the finger: the page shows the question as the search read it, the
      // words it weighed, and which of them each article has.
      const slipped = await tryQuestion(page, 'I forgot my pasword');
      assert.match(await slipped.innerText(), /How the question was read\s+As “i forgot my password”/);
      const chips = await slipped.locator('.read-words li').allInnerTexts();
      assert.deepEqual(chips.map((c) => c.replace(/\s+\d+%$/, '')), ['forgot', 'password'], chips.join(' | '));
      const weights = chips.map((c) => Number(c.match(/(\d+)%$/)[1]));
      assert.ok(Math.abs(weights[0] + weights[1] - 100) <= 1, `the weights make the question: ${chips}`);
      const [found] = await ranking(slipped);
      assert.match(found.text, /Resetting your password\s+Used\s+100%/);
      assert.match(found.text, /Has forgot, password/);
      assert.doesNotMatch(found.text, /lacks/);
      assert.deepEqual(await violations(page, '.try-result'), [], 'axe: the reading and the words found');
      // A word the dictionary relates to an article's title: most of its weight counts.
      const related = await tryQuestion(page, 'will you repay the full price?');
      const [refunds] = await ranking(related);
      assert.match(refunds.text, /Refunds\s+Used\s+93%/);
      assert.match(refunds.text, /Has full, price · Its title is related to repay \(80%\)/);
      assert.match(await related.innerText(), /counts 80% of its weight/);
      await screenshot(page, 'dashboard-knowledge-related', { fullPage: true });
      await screenshot(page, 'dashboard-knowledge-reading', { fullPage: true });
      // "where is my package?" shares no word with any article: without a model, nobody
      // finds the tracking article, and the team is asked.
      const other = await tryQuestion(page, 'where is my package?');
      assert.match(await other.locator('.decision').innerText(), /^Hands the conversation to your team/);
      await tryQuestion(page, 'How do I reset my password?');
      await screenshot(page, 'dashboard-knowledge-words', { fullPage: true });
      tracker.check();
      await context.close();
    } finally {
      await Promise.allSettled([browser.close(), server.close()]);
    }
  });
});

/**
 * An OpenAI-compatible embeddings API on loopback whose "model" gives each text a vector
 * drawn from its hash: it cannot tell an answer from an unrelated text, as an endpoint
 * that serves no sentence-embedding model.
 */
async function blindEmbeddingsApi() {
  const vector = (text) => {
    const numbers = [];
    for (let round = 0; numbers.length < 64; round += 1) {
      const digest = createHash('sha256').update(`${round}:${text}`).digest();
      for (let i = 0; i < digest.length; i += 2) numbers.push(digest.readInt16LE(i));
    }
    const norm = Math.hypot(...numbers);
    return numbers.map((x) => x / norm);
  };
  const api = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { input } = JSON.parse(body);
      const texts = Array.isArray(input) ? input : [input];
      const data = texts.map((text, index) => ({ object: 'embedding', index, embedding: vector(text) }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data }));
    });
  });
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
  return api;
}

describe('Try a question with a model that cannot tell answers apart', { skip: browserSkip }, () => {
  test('the words alone answer, and the page says why the meaning does not count', async () => {
    const api = await blindEmbeddingsApi();
    const env = {
      CONCIERGE_EMBEDDINGS_URL: `http://127.0.0.1:${api.address().port}/v1`,
      CONCIERGE_EMBEDDINGS_MODEL: 'not-a-sentence-model',
    };
    const { browser, server, context, page, tracker } = await knowledgePage(env);
    try {
      const result = await tryQuestion(page, 'How do I reset my password?');
      const [first] = await ranking(result);
      assert.match(first.text, /Resetting your password\s+Used\s+100%/);
      assert.deepEqual(first.scores, {}, 'no meaning score from a model that is not used');
      const note = result.locator('.meaning-off');
      assert.match(await note.innerText(), /finds the text that answers a question no better than an unrelated one/);
      assert.match(await note.innerText(), /judges questions on their words/);
      // Without its meaning, a question in other words goes to the team, as with no model.
      const other = await tryQuestion(page, 'where is my package?');
      assert.match(await other.locator('.decision').innerText(), /^Hands the conversation to your team/);
      assert.match(await other.locator('.meaning-off').innerText(), /no better than an unrelated one/);
      assert.deepEqual(await violations(page, '.try-result'), [], 'axe: the note');
      await screenshot(page, 'dashboard-knowledge-meaning-unusable', { fullPage: true });
      tracker.check();
      await context.close();
    } finally {
      await Promise.allSettled([browser.close(), server.close()]);
      api.close();
    }
  });
});
