// The measuring half of bench/widget (which starts nginx and Concierge and says what the
// variants are): loads each variant's host page in a fresh Chromium context, RUNS times
// per profile after WARMUP loads, interleaved, and prints markdown tables.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_ARGS } from '../config.mjs';
import { adminCall } from '../server.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run bench/widget, not this file`);
  return v;
};
const PAGES = env('BENCH_PAGES');
const WIDGETS = env('BENCH_WIDGETS');
const HOST = env('BENCH_HOST');
const PROXY = env('BENCH_PROXY');
const CONCIERGE = env('BENCH_CONCIERGE');
const TOKEN = env('BENCH_TOKEN');
const BEFORE = env('BENCH_BEFORE');
const RUNS = Number(process.env.RUNS || 30);
const WARMUP = Number(process.env.WARMUP || 3);

// Lighthouse's mobile throttling (simulated "Slow 4G" and a mid-range phone's CPU).
const PROFILES = [
  { name: 'desktop' },
  { name: 'mobile', network: { latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 }, cpu: 4 },
];

// Runs before any script of the page. The widget's first paint, once the bot is known,
// attaches its host element to the page and then sets the bot's colours and labels, all
// synchronously; a mutation observer's callback runs right after (a microtask): the
// launcher is in the page, styled, with its handlers. `performance.now()` counts from the
// start of the navigation.
function recorder() {
  window.__bench = {};
  const seen = () => {
    const host = document.querySelector('concierge-chat');
    const launch = host && host.shadowRoot && host.shadowRoot.querySelector('.launch');
    if (!launch || window.__bench.ready) return;
    window.__bench.ready = performance.now();
    window.__bench.color = getComputedStyle(launch).backgroundColor;
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
}

const page = (script) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme shop</title></head>
<body><h1>Acme shop</h1><p>Everything for the discerning coyote.</p>
${script}
</body></html>
`;

async function main() {
  const bot = await adminCall(CONCIERGE, TOKEN, 'POST', '/bots', { name: 'Support' });
  await adminCall(CONCIERGE, TOKEN, 'PATCH', `/bots/${bot.id}`, { color: '#0f766e' });
  const tag = (src, attrs = '') => `<script src="${src}" data-bot-id="${bot.id}" async${attrs}></script>`;
  const variants = [
    { name: 'page', html: page(''), widget: false },
    { name: 'before', html: page(tag(`${PROXY}/before/widget.js`)), widget: true },
    { name: 'after', html: page(tag(`${PROXY}/after/widget.js`)), widget: true },
    { name: 'served', html: page(tag(`${CONCIERGE}/widget.js`)), widget: true },
    { name: 'cors', html: page(tag(`${PROXY}/after/widget.js`, ' crossorigin="anonymous"')), widget: true },
  ];
  for (const v of variants) writeFileSync(path.join(PAGES, `${v.name}.html`), v.html);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  const results = {};
  try {
    for (const profile of PROFILES) {
      for (let i = 0; i < WARMUP + RUNS; i++) {
        // Interleaved, each round in another order: drift over the run hits every variant.
        for (let k = 0; k < variants.length; k++) {
          const v = variants[(i + k) % variants.length];
          const t = await load(browser, profile, v);
          if (i < WARMUP) continue;
          const key = `${profile.name}/${v.name}`;
          (results[key] ??= []).push(t);
        }
      }
    }
  } finally {
    await browser.close();
  }
  await report(variants, results);
}

async function load(browser, profile, v) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    await context.addInitScript(recorder);
    const p = await context.newPage();
    p.on('response', (res) => {
      if (res.url().endsWith('/widget.js')) encodings[v.name] = res.headers()['content-encoding'] || 'identity';
    });
    const cdp = await context.newCDPSession(p);
    let reused;
    cdp.on('Network.responseReceived', (e) => {
      if (e.response.url.includes('/api/widget/v1/bots/')) reused = e.response.connectionReused;
    });
    await cdp.send('Network.enable');
    if (profile.network) await cdp.send('Network.emulateNetworkConditions', { offline: false, ...profile.network });
    if (profile.cpu) await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpu });
    await p.goto(`${HOST}/${v.name}.html`, { waitUntil: 'load', timeout: 30_000 });
    if (!v.widget) {
      return { ready: await p.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd) };
    }
    await p.waitForFunction(() => window.__bench.ready, null, { timeout: 30_000 });
    const r = await p.evaluate(() => {
      const entry = (part) => performance.getEntriesByType('resource').find((e) => e.name.includes(part));
      const script = entry('/widget.js'), bot = entry('/api/widget/v1/bots/');
      return { ...window.__bench, script: script?.responseEnd, asked: bot && script && bot.startTime - script.responseEnd, bot: bot?.responseEnd };
    });
    if (r.color !== 'rgb(15, 118, 110)') throw new Error(`${v.name}: launcher painted ${r.color}, not the bot's colour`);
    return { ...r, reused };
  } finally {
    await context.close();
  }
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => x.toFixed(1);

// How each variant's widget.js arrived (Chromium asks for br only where it trusts the origin).
const encodings = {};

async function report(variants, results) {
  const what = {
    page: 'the host page alone: navigation → load event (the reference)',
    before: `hand-written widget (${BEFORE}) through nginx`,
    after: 'bundled widget through nginx',
    served: 'bundled widget from Concierge',
    cors: 'bundled widget through nginx, crossorigin="anonymous"',
  };
  const cell = (xs, key, f = median) => {
    const vs = xs.map((x) => x[key]).filter((x) => typeof x === 'number');
    return vs.length ? ms(f(vs)) : '';
  };
  for (const profile of PROFILES) {
    const of = (name) => results[`${profile.name}/${name}`];
    const ref = median(of('page').map((x) => x.ready));
    console.log(`\n### ${profile.name} (${RUNS} loads each)\n`);
    console.log('| variant | what | script loaded | script loaded → bot asked | bot answered | launcher, median | launcher, p90 | median / reference | bot asked on the script\'s connection |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const v of variants) {
      const xs = of(v.name);
      const how = encodings[v.name] ? ` (${encodings[v.name]})` : '';
      const m = median(xs.map((x) => x.ready));
      const p90 = (ys) => quantile(ys, 0.9);
      console.log(`| ${v.name} | ${what[v.name]}${how} | ${cell(xs, 'script')} | ${cell(xs, 'asked')} | ${cell(xs, 'bot')} | ${ms(m)} | ${cell(xs, 'ready', p90)} | ${(m / ref).toFixed(2)} | ${v.widget ? `${xs.filter((x) => x.reused).length}/${xs.length}` : ''} |`);
    }
    const launcher = (name) => median(of(name).map((x) => x.ready));
    console.log(`\nafter / before (launcher, median): ${(launcher('after') / launcher('before')).toFixed(2)}`);
  }
  console.log('\nms from the start of navigation (medians but for p90); "script loaded" and "bot answered":');
  console.log("the responseEnd of widget.js and of the widget's GET /bots/{id}; \"script loaded → bot asked\":");
  console.log('from the one to the start of the other (the script parsed, compiled and run up to its first call).');

  console.log('\n### sizes (bytes)\n');
  console.log('| widget | raw | gzip -9 | brotli 11 | served gzip | served br |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const v of ['before', 'after']) {
    const raw = readFileSync(path.join(WIDGETS, v, 'widget.js'));
    const gz = zlib.gzipSync(raw, { level: 9 }).length;
    const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    const served = v === 'after' ? await servedSizes() : { gzip: '', br: '' };
    console.log(`| ${v} | ${raw.length} | ${gz} | ${br} | ${served.gzip} | ${served.br} |`);
  }
}

// What Concierge sends for /widget.js, per encoding.
async function servedSizes() {
  const size = async (encoding) => {
    const res = await fetch(`${CONCIERGE}/widget.js`, { headers: { 'accept-encoding': encoding } });
    if (res.headers.get('content-encoding') !== encoding) throw new Error(`/widget.js not sent as ${encoding}`);
    return Number(res.headers.get('content-length'));
  };
  return { gzip: await size('gzip'), br: await size('br') };
}

await main();
