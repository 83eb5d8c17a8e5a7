// The real `concierge` binary, on a fresh data dir and a port it can be restarted on.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CONCIERGE_BIN, sleep } from './config.mjs';

// ---------------------------------------------------------------------------------------
// Concierge server

/**
 * The real server binary on a fresh data dir. `stop()` and `start()` keep the port and the
 * data dir, so a test can take the server down and bring it back; `close()` stops it and
 * removes the data dir.
 */
/** The greeting most tests use: the verified name when there is one (a template, docs/bot.md). */
export const GREETING = 'Hi{% if contact.name %} {{ contact.name }}{% endif %}! How can we help?';

/**
 * A rule that makes the bot acknowledge every message by the contact's verified name: for
 * tests about the widget's mechanics rather than the bot's knowledge (an empty knowledge
 * base would hand the first message to the team and then stay silent).
 */
export const ACKNOWLEDGE = [
  {
    name: 'Acknowledge',
    when: [],
    then: { action: 'answer', text: 'Thanks{% if contact.name %}, {{ contact.name }}{% endif %}! We have your message and will answer here.' },
  },
];

export class ConciergeServer {
  /** `env`: more variables for the process (e.g. a PostgreSQL URL), over the defaults. */
  constructor({ env = {}, adminToken = `adm-${randomBytes(18).toString('hex')}` } = {}) {
    this.adminToken = adminToken;
    this.env = env;
    this.dataDir = mkdtempSync(path.join(tmpdir(), 'concierge-browser-'));
    this.port = 0;
    this.proc = null;
    this.log = [];
  }

  static async start(options) {
    const s = new ConciergeServer(options);
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
          ...this.env,
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

  admin(method, p, body) {
    return adminCall(this.url, this.adminToken, method, p, body);
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

  /** The sum of every series of the Prometheus counter `name` on /metrics (0 if absent). */
  async metric(name) {
    const res = await fetch(`${this.url}/metrics`);
    if (!res.ok) throw new Error(`GET /metrics → ${res.status}`);
    let sum = 0;
    for (const line of (await res.text()).split('\n')) {
      const [series, value] = line.split(' ');
      if (series === name || series?.startsWith(`${name}{`)) sum += Number(value);
    }
    return sum;
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

/** One call of the admin API at `base` (a server, or a proxy in front of servers). */
export async function adminCall(base, token, method, p, body) {
  const res = await fetch(`${base}/api/admin/v1${p}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
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
