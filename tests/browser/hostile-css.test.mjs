// 9. A hostile host-page stylesheet cannot break the widget, and the widget does not change
// the page's own styles.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually, openPage, plainPage, screenshot, setup, skipReason } from './harness.mjs';

const HOSTILE = `<style>
  * { font-size: 3px !important; color: red !important; display: block !important;
      line-height: 1 !important; letter-spacing: 4px !important; box-sizing: content-box !important; }
  head, script, style, title, meta { display: none !important; }
  button { display: none !important; }
  div { background: lime !important; border: 3px dashed blue !important; }
  textarea { height: 2px !important; visibility: hidden !important; }
  [role], [aria-label] { opacity: 0 !important; }
  /* Aimed at whatever third-party element lands in <body>: the widget's host element. */
  body > :not(main) { visibility: hidden !important; transform: scale(0.3) !important; filter: blur(3px) !important;
                      pointer-events: none !important; position: absolute !important; top: -9999px !important; }
</style>`;

// The page's own button has to stay visible for the "page still works" part, so it is
// re-shown by id (still inside the hostile cascade for everything else).
const RESHOW = '<style>#page-counter { display: inline-block !important; font-size: 16px !important; }</style>';

const PROPS = [
  'font-size',
  'font-family',
  'color',
  'display',
  'background-color',
  'line-height',
  'letter-spacing',
  'margin-top',
  'margin-left',
  'padding-top',
  'width',
  'height',
  'position',
  'overflow',
  'box-sizing',
];

async function pageStyles(page) {
  return page.evaluate((props) => {
    const out = {};
    for (const sel of ['html', 'body', '#page-main', '#page-title', '#page-text', '#page-counter']) {
      const cs = getComputedStyle(document.querySelector(sel));
      out[sel] = Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]));
    }
    out.styleSheets = document.styleSheets.length;
    out.adoptedStyleSheets = document.adoptedStyleSheets.length;
    out.scroll = [document.documentElement.scrollWidth, document.documentElement.scrollHeight];
    return out;
  }, PROPS);
}

describe('a hostile host stylesheet', { skip: skipReason() }, () => {
  let f;
  before(async () => {
    f = await setup();
  });
  after(async () => {
    await f?.close();
  });

  test('the widget stays usable and normal-sized; the page keeps its own styles', async (t) => {
    const bot = await f.server.createBot('Acme Support');
    await f.server.putCustomAuth(bot.id, { enabled: true, url: f.customer.url });
    const data = { 'bot-id': bot.id, token: 'tok-alice' };

    // The same page without the widget is the baseline for the page's own styles.
    const baselineUrl = f.host.page(
      plainPage({ serverUrl: f.server.url, data, head: HOSTILE + RESHOW }).replace(/<script src="[^"]*widget\.js"[^>]*><\/script>/, ''),
    );
    const base = await openPage(f, t, baselineUrl);
    const expected = await pageStyles(base.page);

    const url = f.host.page(plainPage({ serverUrl: f.server.url, data, head: HOSTILE + RESHOW }));
    const { page, tracker, w } = await openPage(f, t, url);
    const launcher = w.launcher();
    await launcher.waitFor({ state: 'visible' });
    const lb = await launcher.boundingBox();
    assert.ok(lb && lb.width >= 40 && lb.height >= 40, `launcher is visible and normal-sized: ${JSON.stringify(lb)}`);
    assert.ok(lb.x + lb.width <= 1280 && lb.y + lb.height <= 800, 'launcher is inside the viewport');
    const launcherOpacity = await launcher.evaluate((el) => getComputedStyle(el).opacity);
    assert.equal(launcherOpacity, '1', 'launcher is opaque');
    await screenshot(page, 'hostile-css-closed');

    // The widget changes nothing of the page's own rendering (before and after opening).
    assert.deepEqual(await pageStyles(page), expected, 'page styles with the widget equal the baseline');

    await launcher.click();
    const dialog = w.dialog('Acme Support');
    await dialog.waitFor();
    const db = await dialog.boundingBox();
    assert.ok(db.width >= 280 && db.height >= 300, `panel has a normal size: ${JSON.stringify(db)}`);
    const input = w.input();
    await input.waitFor({ state: 'visible' });
    const styles = await input.evaluate((el) => {
      const cs = getComputedStyle(el);
      return { fontSize: parseFloat(cs.fontSize), color: cs.color, visibility: cs.visibility, height: el.getBoundingClientRect().height, letterSpacing: cs.letterSpacing };
    });
    assert.ok(styles.fontSize >= 13, `textarea font-size ${styles.fontSize}px ≥ 13px`);
    assert.notEqual(styles.color, 'rgb(255, 0, 0)', 'textarea text is not the page’s red');
    assert.equal(styles.visibility, 'visible');
    assert.ok(styles.height >= 20, `textarea is tall enough: ${styles.height}px`);
    const dialogFont = await dialog.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(dialogFont >= 13, `panel font-size ${dialogFont}px ≥ 13px`);

    await input.fill('Still works?');
    await w.send().click();
    await eventually(async () => assert.match(await w.logText(), /Still works\?/), { message: 'send under hostile CSS' });
    const bubbleFont = await w.log().getByText('Still works?').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(bubbleFont >= 13, `message font-size ${bubbleFont}px ≥ 13px`);
    await screenshot(page, 'hostile-css-open');

    assert.deepEqual(await pageStyles(page), expected, 'page styles with the widget open equal the baseline');
    await page.locator('#page-counter').click();
    assert.equal(await page.locator('#page-counter').innerText(), 'Clicked 1');
    tracker.check();
    base.tracker.check();
  });
});
