// The other parties of a test: the customer's Authentication API and the host pages, each
// a real Node HTTP server on loopback.

import http from 'node:http';

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
 * everything else, and records every request (parsed body and headers). While `down` is
 * set it answers every request 503, as an API in an outage does; `delayMs` makes it answer
 * that much later, as a slow one does.
 */
export async function startCustomer(users = USERS) {
  const requests = [];
  const customer = { requests, down: false, delayMs: 0 };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      if (customer.delayMs) await new Promise((r) => setTimeout(r, customer.delayMs));
      let body = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (customer.down) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error": "maintenance"}');
        return;
      }
      const user = body && typeof body === 'object' ? users[body.access_token] : undefined;
      res.writeHead(user ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(user ? { data: user } : { error: 'not signed in' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return Object.assign(customer, {
    url: `http://127.0.0.1:${port}/auth`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  });
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
