// Harness for the real-browser tests: Debian Chromium (driven by playwright-core), the
// real `concierge` binary on a fresh data dir, a customer Authentication API in Node, and
// a host-page server on a different origin than Concierge.
//
// Every helper here waits with a bound (at most 10 s per wait unless told otherwise);
// nothing sleeps for a fixed time except the polling interval.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../..');
export const ARTIFACTS = path.join(REPO, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CONCIERGE_BIN = process.env.CONCIERGE_BIN || path.join(REPO, 'target/debug/concierge');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Skip / fail policy

/**
 * `false` when the browser tests can run; otherwise the reason to skip them. On CI
 * (CI=true) a missing Chromium is an error, never a silent skip.
 */
export function skipReason() {
  if (existsSync(CHROMIUM)) return false;
  const why = `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`${why}: the browser tests must run on CI`);
  console.warn(`SKIPPING browser tests: ${why}`);
  return why;
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

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

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
// Concierge server

/**
 * The real server binary on a fresh data dir. `stop()` and `start()` keep the port and the
 * data dir, so a test can take the server down and bring it back; `close()` stops it and
 * removes the data dir.
 */
export class ConciergeServer {
  constructor() {
    this.adminToken = `adm-${randomBytes(18).toString('hex')}`;
    this.dataDir = mkdtempSync(path.join(tmpdir(), 'concierge-browser-'));
    this.port = 0;
    this.proc = null;
    this.log = [];
  }

  static async start() {
    const s = new ConciergeServer();
    await s.start();
    return s;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (this.proc) throw new Error('server already running');
    if (!existsSync(CONCIERGE_BIN)) {
      throw new Error(
        `Concierge binary not found at ${CONCIERGE_BIN}: build it with \`cargo build -p concierge\` (or set CONCIERGE_BIN)`,
      );
    }
    // Binding a port that was just released can race with the previous process's exit;
    // retry a few times within a bound.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await this.#spawnOnce();
        return;
      } catch (e) {
        if (!/cannot listen/.test(e.message) || Date.now() > deadline) throw e;
        await sleep(200);
      }
    }
  }

  #spawnOnce() {
    const proc = spawn(
      CONCIERGE_BIN,
      ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, '--allow-private-upstreams'],
      {
        env: {
          ...process.env,
          CONCIERGE_ADMIN_TOKEN: this.adminToken,
          CONCIERGE_SESSION_RATE_PER_IP: '100000',
          CONCIERGE_LOG_LEVEL: process.env.CONCIERGE_LOG_LEVEL || 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.proc = proc;
    const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    proc.exited = exited;
    return new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => {
        reject(new Error(`server did not print its address within 20 s; log:\n${this.log.join('')}`));
        proc.kill('SIGKILL');
      }, 20_000);
      proc.stdout.on('data', (chunk) => {
        const s = chunk.toString();
        this.log.push(s);
        buf += s;
        const m = buf.match(/Concierge is running at http:\/\/127\.0\.0\.1:(\d+)\//);
        if (m) {
          clearTimeout(timer);
          this.port = Number(m[1]);
          resolve();
        }
      });
      proc.stderr.on('data', (chunk) => this.log.push(chunk.toString()));
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        if (this.proc === proc) this.proc = null;
        reject(new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${this.log.slice(-20).join('')}`));
      });
    });
  }

  /** Stops the process (SIGTERM, then SIGKILL after 3 s); keeps port and data dir. */
  async stop({ signal = 'SIGTERM' } = {}) {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    proc.kill(signal);
    const killer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
    await proc.exited;
    clearTimeout(killer);
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async close() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  // -- Admin API ------------------------------------------------------------------------

  async admin(method, p, body) {
    const res = await fetch(`${this.url}/api/admin/v1${p}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text}`);
    return json;
  }

  /** Creates a bot; with `appearance` ({name?, color, greeting, signin_text}) also PATCHes it. */
  async createBot(name = 'Support', appearance) {
    const bot = await this.admin('POST', '/bots', { name });
    if (appearance) await this.patchBot(bot.id, appearance);
    return bot;
  }

  patchBot(id, body) {
    return this.admin('PATCH', `/bots/${id}`, body);
  }

  putCustomAuth(id, body) {
    return this.admin('PUT', `/bots/${id}/custom-auth`, body);
  }

  async contacts(id) {
    return (await this.admin('GET', `/bots/${id}/contacts`)).items;
  }

  async attempts(id) {
    return (await this.admin('GET', `/bots/${id}/auth-attempts`)).items;
  }

  // -- Widget API, as another device would use it ------------------------------------------

  async widgetSession(body) {
    const res = await fetch(`${this.url}/api/widget/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (res.status !== 201) throw new Error(`POST /sessions → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  }

  async widgetSend(sessionToken, text) {
    const res = await fetch(`${this.url}/api/widget/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionToken}` },
      body: JSON.stringify({ text }),
    });
    const json = await res.json();
    if (res.status !== 201) throw new Error(`POST /messages → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  }

  async widgetMessages(sessionToken, after = 0) {
    const res = await fetch(`${this.url}/api/widget/v1/messages?after=${after}`, {
      headers: { authorization: `Bearer ${sessionToken}` },
    });
    const json = await res.json();
    if (res.status !== 200) throw new Error(`GET /messages → ${res.status}: ${JSON.stringify(json)}`);
    return json.items;
  }
}

// ---------------------------------------------------------------------------------------
// The customer's Authentication API

export const USERS = {
  'tok-alice': { id: 'u-1', email: 'alice@example.com', name: 'Alice', metadata: { plan: 'pro' } },
  'tok-bob': { id: 'u-2', email: 'bob@example.com', name: 'Bob', phone_number: '+15550102030', metadata: { plan: 'free' } },
  // No email in the answer: what an endpoint sends when "Identify method" expects one it lacks.
  'tok-carol': { id: 'u-3', name: 'Carol', metadata: {} },
};

/**
 * A customer Authentication API on 127.0.0.1: knows users by access token, answers 401 to
 * everything else, and records every request (parsed body and headers).
 */
export async function startCustomer(users = USERS) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      let body = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const user = body && typeof body === 'object' ? users[body.access_token] : undefined;
      res.writeHead(user ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(user ? { data: user } : { error: 'not signed in' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/auth`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------------------
// Host pages, on another origin (http://localhost:PORT) than Concierge (http://127.0.0.1:PORT)

export async function startHost() {
  const pages = new Map();
  let n = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const html = pages.get(url.pathname);
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const origin = `http://localhost:${port}`;
  return {
    origin,
    /** Publishes `html` and returns its URL. */
    page(html, name = `page-${++n}`) {
      const p = `/${name}.html`;
      pages.set(p, html);
      return origin + p;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

const escAttr = (v) => String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** `<script src=…/widget.js data-…>`; `data` maps attribute suffixes (`bot-id`) to values. */
export function widgetScript(serverUrl, data = {}, { async = false } = {}) {
  const attrs = Object.entries(data)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` data-${k}="${escAttr(v)}"`)
    .join('');
  return `<script src="${serverUrl}/widget.js"${async ? ' async' : ''}${attrs}></script>`;
}

/** The page's own elements: a counter button that proves the page keeps working. */
export const PAGE_OWN = `
<main id="page-main">
  <h1 id="page-title">Acme Shop</h1>
  <p id="page-text">Welcome to the Acme Shop. Browse our products and ask us anything.</p>
  <button id="page-counter" type="button" onclick="this.dataset.n = String(Number(this.dataset.n || 0) + 1); this.textContent = 'Clicked ' + this.dataset.n">Clicked 0</button>
</main>`;

/** A plain HTML page with the widget script tag. */
export function plainPage({ serverUrl, data, head = '', body = '', title = 'Acme Shop' }) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body { font-family: Georgia, serif; margin: 2rem; } main { max-width: 40rem; }</style>
${head}
</head><body>
${PAGE_OWN}
${body}
${widgetScript(serverUrl, data)}
</body></html>`;
}

/**
 * An SPA-like page: the queue stub, the widget loaded async, and buttons that log in and
 * out through the JavaScript API. `before` is inline script run right after the stub (e.g.
 * to register a token provider).
 */
export function spaPage({ serverUrl, data, before = '', head = '', title = 'Acme App' }) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body { font-family: system-ui, sans-serif; margin: 2rem; }</style>
${head}
<script>window.Concierge=window.Concierge||function(){(Concierge.q=Concierge.q||[]).push(arguments)};</script>
<script>${before}</script>
</head><body>
${PAGE_OWN}
<nav>
  <button id="login-alice" type="button" onclick="Concierge('login', {token: 'tok-alice'})">Log in as Alice</button>
  <button id="login-bob" type="button" onclick="Concierge('login', {token: 'tok-bob'})">Log in as Bob</button>
  <button id="logout" type="button" onclick="Concierge('logout')">Log out</button>
</nav>
${widgetScript(serverUrl, data, { async: true })}
</body></html>`;
}

// ---------------------------------------------------------------------------------------
// Widget locators (role and label based; Playwright pierces open shadow roots)

export const widget = (page) => ({
  launcher: () => page.getByRole('button', { name: 'Open chat' }),
  closer: () => page.getByRole('button', { name: 'Close chat' }),
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
