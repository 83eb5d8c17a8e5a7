// Harness for the real-browser tests: Debian Chromium (driven by playwright-core), the
// real `concierge` binary on a fresh data dir, a customer Authentication API in Node, and
// a host-page server on a different origin than Concierge.
//
// Every helper here waits with a bound (at most 10 s per wait unless told otherwise);
// nothing sleeps for a fixed time except the polling interval.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach } from 'node:test';

import { chromium } from 'playwright-core';

import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, sleep } from './config.mjs';
import { startCustomer, startHost } from './peers.mjs';
import { ConciergeServer } from './server.mjs';

export * from './config.mjs';
export * from './peers.mjs';
export * from './server.mjs';

// ---------------------------------------------------------------------------------------
// Skip / fail policy

/**
 * `false` when the browser tests can run; otherwise the reason to skip them, which only
 * `CONCIERGE_TEST_SKIP_BROWSER=1` allows: a missing Chromium is an error, locally as on CI,
 * so a run that tested nothing never looks like one that passed.
 */
export function skipReason() {
  const skip = ['1', 'true'].includes(process.env.CONCIERGE_TEST_SKIP_BROWSER);
  if (skip) {
    console.warn('SKIPPING browser tests: CONCIERGE_TEST_SKIP_BROWSER is set');
    return 'CONCIERGE_TEST_SKIP_BROWSER is set';
  }
  if (existsSync(CHROMIUM)) return false;
  throw new Error(
    `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); ` +
      'set CONCIERGE_TEST_SKIP_BROWSER=1 to skip the browser tests',
  );
}

// ---------------------------------------------------------------------------------------
// Polling

/**
 * Calls `fn` until it returns without throwing (and, with `truthy`, returns a truthy
 * value), at most `timeout` ms. Rethrows the last failure, prefixed with `message`.
 */
export async function eventually(fn, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const err = new Error(`${message}: still failing after ${timeout} ms: ${last?.message ?? last}`);
      err.cause = last;
      throw err;
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------------------
// Browser

/**
 * The browser. Every context it makes (`browser.newContext()`, and so `browser.newPage()`)
 * reports Content-Security-Policy violations of its pages; see `failOnCspViolations`.
 */
export async function launchBrowser() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await watchCsp(context);
    return context;
  };
  return browser;
}

// ---------------------------------------------------------------------------------------
// Content-Security-Policy: the dashboard's pages are served with a strict policy (no
// inline script or style). A violation means something on a page silently does not work,
// so every test fails on one, whether or not it tracks its pages' console.

/** Violations reported since the last test ended, by any page of any context. */
const cspViolations = [];
const watchedContexts = new Set();

async function watchCsp(context) {
  watchedContexts.add(context);
  context.on('close', () => watchedContexts.delete(context));
  await context.exposeBinding('__conciergeCspViolation', (_source, v) => cspViolations.push(v));
  // Runs before any script of every document, and is not subject to the page's policy.
  await context.addInitScript(() => {
    document.addEventListener(
      'securitypolicyviolation',
      (e) =>
        window.__conciergeCspViolation({
          page: e.documentURI,
          directive: e.effectiveDirective,
          blocked: e.blockedURI,
          at: `${e.sourceFile || e.documentURI}:${e.lineNumber}`,
          sample: e.sample,
        }),
      true,
    );
  });
}

/**
 * Fails the test that just ended if a page reported a CSP violation (during the test, or in
 * a `before` hook since the previous test). Violation events are queued tasks: each open
 * page gets one turn of its event loop first, so the last action's report is not missed.
 */
export async function failOnCspViolations() {
  const pages = [...watchedContexts].flatMap((c) => c.pages());
  await Promise.all(pages.map((p) => p.evaluate(() => new Promise((r) => setTimeout(r, 0))).catch(() => {})));
  const found = cspViolations.splice(0);
  if (found.length) {
    const lines = found.map((v) => `${v.directive} blocked ${v.blocked} at ${v.at}${v.sample ? ` (${v.sample})` : ''}`);
    throw new Error(`Content-Security-Policy violations:\n  ${lines.join('\n  ')}`);
  }
}

// At the top level of every test file that imports the harness: after each of its tests.
afterEach(failOnCspViolations);

/**
 * Records uncaught exceptions and console errors/warnings of a page. `check()` asserts
 * that nothing unexpected happened; `allow(...res)` tolerates console errors/warnings whose
 * text matches (e.g. the browser's own "Failed to load resource" line for a 404 the test
 * provoked on purpose).
 */
export function trackPage(page) {
  const t = {
    pageErrors: [],
    errors: [],
    warnings: [],
    dialogs: [],
    allowed: [],
    allow(...res) {
      t.allowed.push(...res);
      return t;
    },
    unexpected() {
      const ok = (m) => t.allowed.some((re) => re.test(m));
      return {
        pageErrors: t.pageErrors,
        errors: t.errors.filter((m) => !ok(m)),
        warnings: t.warnings.filter((m) => !ok(m)),
        dialogs: t.dialogs,
      };
    },
    check() {
      const u = t.unexpected();
      const problems = [
        ...u.pageErrors.map((m) => `uncaught exception: ${m}`),
        ...u.errors.map((m) => `console.error: ${m}`),
        ...u.warnings.map((m) => `console.warn: ${m}`),
        ...u.dialogs.map((m) => `unexpected dialog: ${m}`),
      ];
      if (problems.length) throw new Error(`page reported problems:\n  ${problems.join('\n  ')}`);
    },
  };
  page.on('pageerror', (e) => t.pageErrors.push(`${e.name}: ${e.message}\n${e.stack ?? ''}`));
  page.on('console', (msg) => {
    const text = msg.text();
    const where = msg.location()?.url ? ` (${msg.location().url}:${msg.location().lineNumber})` : '';
    if (msg.type() === 'error') t.errors.push(text + where);
    else if (msg.type() === 'warning') t.warnings.push(text + where);
  });
  page.on('dialog', (d) => {
    t.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return t;
}

/** The browser's own console lines for failed network requests (not the widget's code). */
export const NETWORK_NOISE = [
  /Failed to load resource: net::ERR_CONNECTION_REFUSED/,
  /Failed to load resource: net::ERR_CONNECTION_RESET/,
  /Failed to load resource: net::ERR_EMPTY_RESPONSE/,
  /WebSocket connection to '.*' failed/,
  /net::ERR_CONNECTION_REFUSED/,
];

export async function screenshot(page, name, opts = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, ...opts });
  return file;
}

/** Every element in the page with a shadow root (the widget's host, if rendered). */
export async function shadowHosts(page) {
  return page.evaluate(() => {
    const out = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) {
          out.push(el.tagName.toLowerCase() + (el.id ? `#${el.id}` : ''));
          walk(el.shadowRoot);
        }
      }
    };
    walk(document);
    return out;
  });
}

/** Runs `fn(root)` in the page for the document and every open shadow root; sums counts. */
export async function countEverywhere(page, selector) {
  return page.evaluate((sel) => {
    let n = 0;
    const walk = (root) => {
      n += root.querySelectorAll(sel).length;
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return n;
  }, selector);
}

/** The keys (and values) in the page's localStorage. */
export async function localStorageEntries(page) {
  return page.evaluate(() => Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])));
}

// ---------------------------------------------------------------------------------------
// Widget locators (role and label based; Playwright pierces open shadow roots)

export const widget = (page) => ({
  launcher: () => page.getByRole('button', { name: 'Open chat' }),
  /** The panel's own close button (the launcher is "Minimize chat" while the panel is open). */
  closer: () => page.getByRole('button', { name: 'Close chat', exact: true }),
  minimizer: () => page.getByRole('button', { name: 'Minimize chat' }),
  dialog: (name) => (name ? page.getByRole('dialog', { name }) : page.getByRole('dialog')),
  log: () => page.getByRole('log'),
  input: () => page.getByLabel('Message', { exact: true }),
  send: () => page.getByRole('button', { name: 'Send', exact: true }),
  async open(name) {
    await this.launcher().click();
    await this.dialog(name).waitFor({ state: 'visible', timeout: 10_000 });
  },
  /** The texts of the messages in the log, in order (each entry is one message's text). */
  async logText() {
    return (await this.log().innerText({ timeout: 10_000 })).trim();
  },
});

/**
 * A fresh browser context (own localStorage) with one page at `url`, its problems tracked.
 * The context is closed when the test `t` ends.
 */
export async function openPage(f, t, url, { viewport = { width: 1280, height: 800 }, before, ...ctxOpts } = {}) {
  const context = await f.browser.newContext({ viewport, ...ctxOpts });
  t.after(() => context.close().catch(() => {}));
  // WIDGET_JS=path: serve that file as /widget.js instead of the binary's copy (to try a
  // widget change without rebuilding the server, or to check that a test catches a bug).
  if (process.env.WIDGET_JS) {
    const body = readFileSync(process.env.WIDGET_JS);
    await context.route(`${f.server.url}/widget.js`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body }),
    );
  }
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const tracker = trackPage(page);
  if (before) await before(page, context);
  if (url) await page.goto(url);
  return { context, page, tracker, w: widget(page) };
}

/** Records the page's WebSockets: frames received and sent (parsed JSON), opens, closes. */
export function watchSockets(page) {
  const s = { opened: 0, closed: 0, received: [], sent: [] };
  page.on('websocket', (ws) => {
    s.opened += 1;
    ws.on('close', () => (s.closed += 1));
    const parse = (p) => {
      try {
        return JSON.parse(typeof p === 'string' ? p : p.toString());
      } catch {
        return p;
      }
    };
    ws.on('framereceived', (fr) => s.received.push(parse(fr.payload)));
    ws.on('framesent', (fr) => s.sent.push(parse(fr.payload)));
  });
  return s;
}

/**
 * Installs a MutationObserver in every open shadow root of the page (and the document)
 * that remembers whether a typing indicator was ever shown: an element whose class,
 * aria-label or text mentions "typing". Read it with `typingSeen(page)`.
 */
export async function watchTyping(page) {
  await page.evaluate(() => {
    window.__conciergeTyping = false;
    const looks = (el) => {
      if (!(el instanceof Element)) return false;
      const s = `${el.className?.baseVal ?? el.className ?? ''} ${el.getAttribute('aria-label') ?? ''} ${el.textContent ?? ''}`;
      if (!/typing/i.test(s)) return false;
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    const scan = (root) => {
      for (const el of root.querySelectorAll('*')) if (looks(el) && !el.children.length) return true;
      return [...root.querySelectorAll('*')].some(looks);
    };
    const observe = (root) => {
      new MutationObserver(() => {
        if (!window.__conciergeTyping && scan(root)) window.__conciergeTyping = true;
      }).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
    };
    for (const el of document.querySelectorAll('*')) if (el.shadowRoot) observe(el.shadowRoot);
  });
}

export const typingSeen = (page) => page.evaluate(() => window.__conciergeTyping === true);

/** Occurrences of `needle` in `hay`. */
export const occurrences = (hay, needle) => hay.split(needle).length - 1;

/** The shared fixture of a test file: one browser, one server, one customer, one host. */
export async function setup() {
  const browser = await launchBrowser();
  const [server, customer, host] = await Promise.all([ConciergeServer.start(), startCustomer(), startHost()]);
  return {
    browser,
    server,
    customer,
    host,
    async close() {
      await Promise.allSettled([browser.close(), server.close(), customer.close(), host.close()]);
    },
  };
}

/** The one-time setup link that `serve` printed (it prints one while no account exists). */
export const setupLink = (f) =>
  eventually(() => {
    const m = f.server.log.join('').match(/(http:\/\/127\.0\.0\.1:\d+\/setup\?token=\S+)/);
    if (!m) throw new Error('serve printed no setup link');
    return m[1];
  });

/** Creates the first account through the printed setup link; the page ends on /bots, signed in. */
export async function signUpFirstUser(f, page, email, password) {
  await page.goto(await setupLink(f));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Bots' }).waitFor();
}
