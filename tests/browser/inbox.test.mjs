// The inbox (6): conversations appear live, an agent's reply reaches the widget open in
// another browser context in real time, and taking over / handing back is visible.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually, openPage, plainPage, screenshot, setup, signUpFirstUser, skipReason } from './harness.mjs';

describe('the inbox', { skip: skipReason() }, () => {
  let f;
  let bot;
  before(async () => {
    f = await setup();
    bot = await f.server.createBot('Acme Support', { color: '#0f766e' });
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
  });
  after(async () => {
    await f?.close();
  });

  test('a visitor writes, the agent sees it live, replies, and the widget shows the reply at once', async (t) => {
    const agentContext = await f.browser.newContext({ viewport: { width: 1400, height: 900 } });
    t.after(() => agentContext.close());
    const dashboard = await agentContext.newPage();
    dashboard.setDefaultTimeout(10_000);
    await signUpFirstUser(f, dashboard, 'agent@acme.example', 'a long enough password');
    await dashboard.goto(`${f.server.url}/inbox?bot=${bot.id}`);
    await dashboard.getByText('No conversations yet').waitFor();

    // The end user, in another browser context, on the customer's site.
    const url = f.host.page(plainPage({ serverUrl: f.server.url, data: { 'bot-id': bot.id, token: 'tok-alice' } }));
    const { page, tracker, w } = await openPage(f, t, url);
    await w.launcher().click();
    await w.input().fill('Can a person help me with my refund?');
    await w.input().press('Enter');

    // It appears in the inbox without a reload.
    const item = dashboard.locator('#conversations a', { hasText: 'Alice' });
    await item.waitFor();
    assert.match(await item.innerText(), /refund|Thanks/);
    await item.click();
    await dashboard.getByRole('heading', { name: 'Alice', exact: true, level: 1 }).waitFor();
    assert.match(await dashboard.locator('.inbox-contact').innerText(), /alice@example\.com/);
    assert.match(await dashboard.locator('.inbox-contact pre.json').innerText(), /"plan": "pro"/);

    await dashboard.getByRole('button', { name: 'Take over' }).click();
    await dashboard.getByText('You are answering: the bot is silent.').waitFor();
    await dashboard.getByLabel('Reply').fill('Hi Alice, Sam here. Your refund is on its way.');
    await dashboard.getByRole('button', { name: 'Send' }).click();
    await eventually(async () => assert.match(await w.logText(), /Sam here\. Your refund is on its way\./), {
      message: 'the agent reply reached the widget',
    });
    await screenshot(dashboard, 'dashboard-inbox');
    await screenshot(page, 'widget-agent-reply');
    await dashboard.setViewportSize({ width: 390, height: 844 });
    await screenshot(dashboard, 'dashboard-inbox-mobile', { fullPage: true });
    await dashboard.setViewportSize({ width: 1400, height: 900 });

    // The visitor answers; the dashboard shows it live and the bot stays quiet.
    await w.input().fill('Thank you!');
    await w.input().press('Enter');
    await eventually(async () => assert.match(await dashboard.locator('#thread').innerText(), /Thank you!/), {
      message: 'the visitor message reached the dashboard',
    });
    await new Promise((r) => setTimeout(r, 1200));
    const thread = await dashboard.locator('#thread').innerText();
    assert.doesNotMatch(thread.slice(thread.indexOf('Thank you!')), /Thanks, Alice!/, 'the bot stayed silent');

    await dashboard.getByRole('button', { name: 'Hand back to bot' }).click();
    await dashboard.getByText('The bot is answering.').waitFor();
    tracker.check();
  });
});
