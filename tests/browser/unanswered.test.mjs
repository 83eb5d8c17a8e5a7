// What the bot could not answer, as a team lives it: a visitor on a phone asks something no
// article covers and is handed to a person; the owner, on a laptop, finds the question
// under the knowledge base, writes the article it needed from it, sees that the bot now
// answers it, and dismisses it; the next visitor who asks is answered. A question an
// article already answers in other words is answered with that article instead: the
// visitor's words become a way the article is asked, and the next visitor asking so is
// answered from it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually, openPage, plainPage, screenshot, setup, signUpFirstUser, skipReason, trackPage } from './harness.mjs';

const QUESTION = 'Do you sell gift cards?';
const NOT_SURE = /I'm not sure I can answer that one/;

describe('unanswered questions', { skip: skipReason() }, () => {
  let f;
  let bot;
  let context;
  let page;
  let tracker;
  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support', { color: '#0f766e' });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    await f.server.admin('POST', `/bots/${bot.id}/articles`, {
      title: 'Shipping times',
      body: 'Parcels ship within 2 business days. Delivery takes 3 to 5 days.',
    });
    context = await f.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    tracker = trackPage(page);
    await signUpFirstUser(f, page, 'owner@acme.example', 'correct horse battery staple');
  });
  after(async () => {
    await context?.close();
    await f?.close();
  });

  const widgetPage = (token) => f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token } }));
  const ask = async (w, text) => {
    await w.input().fill(text);
    await w.input().press('Enter');
  };
  const question = () => page.getByRole('listitem', { name: QUESTION });

  test('a question no article answers reaches the list; the article written from it answers the next visitor', async (t) => {
    const phone = await openPage(f, t, widgetPage('tok-alice'), { viewport: { width: 360, height: 740 }, isMobile: true });
    await phone.w.open('Acme Support');
    await ask(phone.w, QUESTION);
    await eventually(async () => assert.match(await phone.w.logText(), NOT_SURE));

    await page.goto(`${f.server.url}/bots/${bot.id}`);
    await page.getByRole('navigation', { name: 'Bot' }).getByRole('link', { name: 'Knowledge base', exact: true }).click();
    await page.getByRole('link', { name: 'Unanswered questions' }).click();
    await page.getByRole('heading', { name: 'Unanswered questions' }).waitFor();
    await eventually(async () => {
      await page.reload();
      assert.equal(await question().count(), 1);
    });
    const listed = await question().innerText();
    assert.match(listed, /No article matched|Closest article Shipping times/);
    assert.match(listed, /Still handed over/);
    await screenshot(page, 'dashboard-unanswered', { fullPage: true });
    // On the owner's phone: everything fits the width, the actions too.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'no sideways scrolling');
    assert.ok(await question().getByRole('button', { name: 'Dismiss' }).isVisible());
    await screenshot(page, 'dashboard-unanswered-mobile', { fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // The conversation it came from, in the inbox.
    const conversation = await question().getByRole('link', { name: 'Open the conversation' }).getAttribute('href');
    assert.match(conversation, new RegExp(`^/inbox\\?bot=${bot.id}&c=`));

    // Tried again as the same person asked it.
    await question().getByRole('link', { name: 'Try it' }).click();
    await page.locator('.try-result').waitFor();
    assert.equal(await page.getByLabel('Question', { exact: true }).inputValue(), QUESTION);
    assert.match(await page.getByLabel('Asked by').locator('option:checked').innerText(), /Alice/);
    assert.match(await page.locator('.try-result .decision').innerText(), /^Hands the conversation to your team/);
    await page.goBack();

    // The article, started from the visitor's words.
    await question().getByRole('link', { name: 'Write an article' }).click();
    assert.equal(await page.getByLabel('Title').inputValue(), QUESTION);
    await page.getByLabel('Title').fill('Gift cards');
    await page.getByLabel('Answer', { exact: true }).fill('Yes: we sell **gift cards** from 10 to 200 euros, in the shop and online.');
    await page.getByRole('button', { name: 'Create article' }).click();
    await page.getByRole('status').filter({ hasText: 'Article created.' }).waitFor();

    // Still to review: the knowledge base says how many.
    const reviewLink = () => page.getByRole('link', { name: 'Unanswered questions' });
    const said = async () => (await reviewLink().textContent()).replace(/\s+/g, ' ').trim();
    assert.equal(await said(), 'Unanswered questions 1 to review');
    await screenshot(page, 'dashboard-knowledge-unanswered-count');
    await page.getByRole('link', { name: 'Unanswered questions' }).click();
    const now = question().locator('.gap-now');
    assert.match(await now.innerText(), /^Answered from Gift cards at \d+%$/);
    assert.equal(await question().getByRole('link', { name: 'Write an article' }).count(), 0, 'nothing left to write');
    await screenshot(page, 'dashboard-unanswered-answered', { fullPage: true });

    // Another visitor, on a laptop, asks the same and is answered.
    const laptop = await openPage(f, t, widgetPage('tok-bob'));
    await laptop.w.open('Acme Support');
    await ask(laptop.w, 'do you sell gift cards');
    await eventually(async () => assert.match(await laptop.w.logText(), /we sell gift cards from 10 to 200 euros/));

    await question().getByRole('button', { name: 'Dismiss' }).click();
    await page.getByRole('status').filter({ hasText: 'Question dismissed.' }).waitFor();
    assert.equal(await question().count(), 0);
    assert.match(await page.locator('main').innerText(), /No unanswered questions/);
    await screenshot(page, 'dashboard-unanswered-empty', { fullPage: true });
    await page.getByRole('link', { name: 'Back to articles' }).click();
    assert.equal(await said(), 'Unanswered questions');
    assert.deepEqual([...phone.tracker.pageErrors, ...laptop.tracker.pageErrors, ...tracker.pageErrors], []);
  });

  test('a question answered with an existing article: the next visitor who asks in those words is answered', async (t) => {
    const STUFF = "My stuff still hasn't turned up";
    const stuff = () => page.getByRole('listitem', { name: STUFF });
    const phone = await openPage(f, t, widgetPage('tok-carol'), { viewport: { width: 360, height: 740 }, isMobile: true });
    await phone.w.open('Acme Support');
    await ask(phone.w, STUFF);
    await eventually(async () => assert.match(await phone.w.logText(), NOT_SURE));

    await page.goto(`${f.server.url}/bots/${bot.id}/unanswered`);
    await eventually(async () => {
      await page.reload();
      assert.equal(await stuff().count(), 1);
    });
    await stuff().getByRole('link', { name: 'Answer with an article' }).click();
    await page.getByRole('heading', { name: 'Answer with an article' }).waitFor();
    assert.match(await page.locator('blockquote').innerText(), /My stuff still hasn't turned up/);
    const choice = page.getByLabel('The article that answers it');
    const offered = await choice.locator('option').allInnerTexts();
    assert.ok(offered.some((o) => o.startsWith('Shipping times')), offered.join(', '));
    assert.ok(offered.some((o) => o.startsWith('Gift cards')), offered.join(', '));
    const { items } = await f.server.admin('GET', `/bots/${bot.id}/articles`);
    const shipping = items.find((a) => a.title === 'Shipping times');
    await choice.selectOption(shipping.id);
    // The wording to keep, the question as asked until the owner edits it.
    assert.equal(await page.getByLabel('Asked as').inputValue(), STUFF);
    await screenshot(page, 'dashboard-unanswered-answer', { fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'no sideways scrolling on a phone');
    await screenshot(page, 'dashboard-unanswered-answer-mobile', { fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('button', { name: 'Answer with this article' }).click();
    await page.getByRole('status').filter({ hasText: 'the bot now answers this question' }).waitFor();
    assert.equal(await stuff().count(), 0);

    // The article shows the visitor's words among the ways it is asked.
    await page.goto(`${f.server.url}/bots/${bot.id}/knowledge/${shipping.id}`);
    assert.equal(await page.getByLabel('Also asked as').inputValue(), STUFF);
    await screenshot(page, 'dashboard-article-asked-as', { fullPage: true });

    // Bob, on his laptop, asks it in his own words and is answered from the article.
    const laptop = await openPage(f, t, widgetPage('tok-bob'));
    await laptop.w.open('Acme Support');
    await ask(laptop.w, 'has my stuff turned up yet?');
    await eventually(async () => assert.match(await laptop.w.logText(), /Parcels ship within 2 business days/));
    // Try a question says which way of asking it matched.
    await page.goto(`${f.server.url}/bots/${bot.id}/knowledge?question=${encodeURIComponent('has my stuff turned up yet?')}#try`);
    await page.locator('.try-result').waitFor();
    assert.match(await page.locator('.try-result').innerText(), /Asked like “My stuff still hasn't turned up”/);
    await screenshot(page, 'dashboard-try-asked-as', { fullPage: true });
    await page.goto(`${f.server.url}/bots/${bot.id}/knowledge/${shipping.id}`);
    assert.equal(await page.getByLabel('Also asked as').inputValue(), STUFF);

    // While the owner edits the article, a colleague answers another question with it: the
    // owner's save keeps what the colleague taught.
    const visitor = await f.server.widgetSession({ bot_id: bot.id });
    await f.server.widgetSend(visitor.session_token, 'the man in the van never knocked');
    let taught;
    await eventually(async () => {
      const listed = await f.server.admin('GET', `/bots/${bot.id}/unanswered`);
      taught = listed.items.find((q) => q.text === 'the man in the van never knocked');
      assert.ok(taught);
    });
    await f.server.admin('POST', `/bots/${bot.id}/unanswered/${taught.id}/answer`, { article_id: shipping.id });
    await page.getByLabel('Also asked as').fill(`${STUFF}\nnothing arrived`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Article saved.' }).waitFor();
    const saved = await f.server.admin('GET', `/bots/${bot.id}/articles/${shipping.id}`);
    assert.deepEqual(saved.asked_as, [STUFF, 'nothing arrived', 'the man in the van never knocked']);
    assert.deepEqual([...phone.tracker.pageErrors, ...laptop.tracker.pageErrors, ...tracker.pageErrors], []);
  });
});
