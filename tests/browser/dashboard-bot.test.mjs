// A bot's answer settings in the dashboard, as a person uses them: write two articles, try
// a question (answer and ranking), add a rule that hands pro customers to a person and see
// it decide, and set up an AI model whose key is never shown again.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { screenshot, setup, signUpFirstUser, skipReason, trackPage } from './harness.mjs';

const KEY = 'sk-browser-test-5f0c2a9e';

describe('a bot’s knowledge base, answers and AI model', { skip: skipReason() }, () => {
  let f;
  let bot;
  let context;
  let page;
  let tracker;
  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support', { color: '#0f766e' });
    // Alice (plan "pro", from the customer's API) becomes a contact the preview can use.
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    await f.server.widgetSession({ bot_id: bot.id, access_token: 'tok-alice' });
    context = await f.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // The browser logs the refused article form's 422 (on purpose).
    tracker = trackPage(page).allow(/status of 422 .*\/knowledge/);
    await signUpFirstUser(f, page, 'owner@acme.example', 'correct horse battery staple');
  });
  after(async () => {
    await context?.close();
    await f?.close();
  });

  const tab = (name) => page.getByRole('navigation', { name: 'Bot' }).getByRole('link', { name, exact: true });

  test('two articles, written through the form; a template mistake is shown next to the answer', async () => {
    await page.goto(`${f.server.url}/bots/${bot.id}`);
    await tab('Knowledge base').click();
    await page.getByRole('heading', { name: 'Articles' }).waitFor();
    assert.match(await page.locator('main').innerText(), /No articles yet/);
    await screenshot(page, 'dashboard-knowledge-empty', { fullPage: true });

    await page.getByRole('link', { name: 'New article' }).click();
    await page.getByLabel('Title').fill('Refunds');
    await page
      .getByLabel('Answer', { exact: true })
      .fill('Hi {{ contact.name | default("there") }}! You can get a **refund** within 30 days of purchase.\n{% if contact.metadata.plan == "pro" %}');
    await page.getByRole('button', { name: 'Create article' }).click();
    const error = page.locator('#body-error');
    await error.waitFor();
    assert.match(await error.innerText(), /line 2/);
    assert.equal(await page.getByLabel('Answer', { exact: true }).getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'dashboard-article-error', { fullPage: true });

    await page
      .getByLabel('Answer', { exact: true })
      .fill('Hi {{ contact.name | default("there") }}! You can get a **refund** within 30 days of purchase.');
    await page.getByRole('button', { name: 'Create article' }).click();
    await page.getByRole('status').filter({ hasText: 'Article created.' }).waitFor();

    await page.getByRole('link', { name: 'New article' }).click();
    await page.getByLabel('Title').fill('Shipping times');
    await page
      .getByLabel('Answer', { exact: true })
      .fill('Parcels ship within 2 business days. Delivery takes 3 to 5 days.');
    await page.getByRole('button', { name: 'Create article' }).click();
    await page.getByRole('status').filter({ hasText: 'Article created.' }).waitFor();
    const titles = await page.locator('.kb-title').allInnerTexts();
    assert.deepEqual(titles, ['Refunds', 'Shipping times']);
    assert.match(await page.locator('.kb-list').innerText(), /You can get a refund within 30 days/);
  });

  test('try a question: the answer, what the bot does, and the ranking', async () => {
    await page.getByLabel('Question', { exact: true }).fill('How long does shipping take?');
    await page.getByRole('button', { name: 'Try it' }).click();
    const result = page.locator('.try-result');
    await result.waitFor();
    assert.match(await result.locator('.decision').innerText(), /^Answers/);
    assert.equal(await result.locator('.bubble').innerText(), 'Parcels ship within 2 business days. Delivery takes 3 to 5 days.');
    const ranked = await result.locator('.ranking li').allInnerTexts();
    assert.match(ranked[0], /Shipping times\s+Used\s+\d+%/);
    assert.ok(ranked.length >= 1 && !ranked.slice(1).some((r) => /Used/.test(r)), 'only the best article is used');
    await screenshot(page, 'dashboard-knowledge-try', { fullPage: true });

    // As Alice, the refund article greets her by her verified name.
    await page.getByLabel('Question', { exact: true }).fill('Can I get a refund?');
    await page.getByLabel('Asked by').selectOption({ label: 'Alice (alice@example.com)' });
    await page.getByRole('button', { name: 'Try it' }).click();
    await page.locator('.bubble', { hasText: 'Hi Alice!' }).waitFor();
    assert.match(await page.locator('.ranking li').first().innerText(), /Refunds/);

    // Nothing matches: the bot is not sure and hands the conversation to the team.
    await page.getByLabel('Question', { exact: true }).fill('Do you sell gift cards?');
    await page.getByRole('button', { name: 'Try it' }).click();
    await page.locator('.decision', { hasText: 'Hands the conversation to your team' }).waitFor();
    assert.match(await page.locator('.decision').innerText(), /confidence threshold/);
  });

  test('a rule hands pro customers to a person, with high priority', async () => {
    await tab('Answers').click();
    await page.getByRole('heading', { name: 'Rules', exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Pro customers get a person');
    await page.getByLabel('Condition 1: what to compare').fill('contact.metadata.plan');
    await page.getByLabel('Condition 1: comparison').selectOption('equals');
    await page.getByLabel('Condition 1: value').fill('pro');
    await page.getByLabel('Then').selectOption('handoff');
    await page.getByLabel('Priority').selectOption('high');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Rule added.' }).waitFor();
    const rule = page.locator('.rule').first();
    assert.match(await rule.innerText(), /Pro customers get a person/);
    assert.match(await rule.innerText(), /When plan equals pro/);
    assert.match(await rule.innerText(), /Hands to a person, high priority/);
    await screenshot(page, 'dashboard-answers', { fullPage: true });
    const stored = await f.server.admin('GET', `/bots/${bot.id}`);
    assert.deepEqual(stored.rules[0].when, [{ path: 'contact.metadata.plan', op: 'equals', value: 'pro' }]);

    await tab('Knowledge base').click();
    await page.getByLabel('Question', { exact: true }).fill('How long does shipping take?');
    await page.getByLabel('Asked by').selectOption({ label: 'Alice (alice@example.com)' });
    await page.getByRole('button', { name: 'Try it' }).click();
    const decision = page.locator('.decision');
    await decision.filter({ hasText: 'Hands the conversation to your team' }).waitFor();
    assert.match(await decision.innerText(), /a rule says so/);
    assert.match(await decision.innerText(), /High priority/);
    assert.match(await page.locator('.try-result').innerText(), /Pro customers get a person/);
  });

  test('the AI model settings: the key is write-only', async () => {
    await tab('AI model').click();
    await page.getByRole('heading', { name: 'AI model', level: 2 }).waitFor();
    await page.getByRole('switch', { name: 'Enabled' }).check();
    await page.getByLabel('Base URL').fill('https://llm.example/v1');
    await page.getByLabel('Model', { exact: true }).fill('small-model');
    await page.getByLabel('API key').fill(KEY);
    await page.getByLabel('Timeout (ms)').fill('8000');
    await page.getByLabel('Instructions').fill('Answer in two friendly sentences.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.equal(await page.getByLabel('API key').inputValue(), '');
    assert.ok(!(await page.content()).includes(KEY), 'the key is nowhere in the page');
    await page.getByText('A key is stored — leave empty to keep it').waitFor();
    assert.equal(await page.getByLabel('Model', { exact: true }).inputValue(), 'small-model');
    await screenshot(page, 'dashboard-model', { fullPage: true });

    // Saved again with the key field empty: the key stays.
    await page.getByLabel('Timeout (ms)').fill('9000');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const llm = await f.server.admin('GET', `/bots/${bot.id}/llm`);
    assert.equal(llm.api_key_set, true);
    assert.equal(llm.timeout_ms, 9000);

    // With a model, Try a question says the model writes the answer, with the fallback.
    await tab('Knowledge base').click();
    await page.getByLabel('Question', { exact: true }).fill('How long does shipping take?');
    await page.getByRole('button', { name: 'Try it' }).click();
    await page.locator('.decision', { hasText: 'The AI model writes the answer' }).waitFor();
    assert.match(await page.locator('.bubble').innerText(), /Parcels ship within 2 business days/);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'dashboard-knowledge-mobile', { fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    tracker.check();
  });

  test('deleting an article asks first; declined, nothing is deleted', async () => {
    const articles = async () => (await f.server.admin('GET', `/bots/${bot.id}/articles`)).items.map((a) => a.title);
    await page.goto(`${f.server.url}/bots/${bot.id}/knowledge`);
    await page.getByRole('link', { name: 'Refunds' }).click();
    const answers = [];
    const answer = (d) => {
      answers.push(d.message());
      (answers.length === 1 ? d.dismiss() : d.accept()).catch(() => {});
    };
    // Before the tracker's own listener, which dismisses and records every dialog.
    page.prependListener('dialog', answer);
    await page.getByRole('button', { name: 'Delete article' }).click();
    assert.match(answers[0] ?? '', /Delete this article\?/);
    assert.ok((await articles()).includes('Refunds'), 'declined: the article stays');
    await page.getByRole('button', { name: 'Delete article' }).click();
    await page.getByRole('heading', { name: 'Articles' }).waitFor();
    page.off('dialog', answer);
    tracker.dialogs.length = 0;
    assert.equal(answers.length, 2);
    assert.deepEqual(await articles(), ['Shipping times']);
    tracker.check();
  });
});
