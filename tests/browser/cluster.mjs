// Several instances behind a balancer: a throwaway PostgreSQL database, the shared Redis,
// and Debian's nginx running deploy/nginx/concierge.conf as the current user.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { REPO, sleep } from './config.mjs';

const run = promisify(execFile);

export const NGINX = process.env.NGINX_PATH || '/usr/sbin/nginx';
const POSTGRES_URL = process.env.CONCIERGE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.CONCIERGE_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const skipping = (name) => ['1', 'true'].includes(process.env[name]);

/**
 * `false` when the cluster tests can run; the reason to skip them when
 * CONCIERGE_TEST_SKIP_POSTGRES or CONCIERGE_TEST_SKIP_REDIS says so. A missing nginx,
 * PostgreSQL or Redis is found by `startCluster` and fails the test: only a variable skips.
 */
export function clusterSkipReason() {
  for (const name of ['CONCIERGE_TEST_SKIP_POSTGRES', 'CONCIERGE_TEST_SKIP_REDIS']) {
    if (skipping(name)) {
      console.warn(`SKIPPING the balancer tests: ${name} is set`);
      return `${name} is set`;
    }
  }
  return false;
}

/** A database of its own on the test server (psql), dropped by `drop()`. */
export async function tempPostgres() {
  const name = `concierge_browser_${randomBytes(6).toString('hex')}`;
  const psql = (sql) =>
    run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', POSTGRES_URL, '-c', sql], { timeout: 15_000 });
  try {
    await psql(`CREATE DATABASE ${name}`);
  } catch (e) {
    throw new Error(
      `PostgreSQL is required at ${POSTGRES_URL} (CONCIERGE_TEST_POSTGRES_URL), with psql: ` +
        `${(e.stderr || e.message).trim()}. Start it, or set CONCIERGE_TEST_SKIP_POSTGRES=1 to skip`,
    );
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Fails unless Redis answers PING at REDIS_URL. */
export async function requireRedis() {
  const { hostname, port } = new URL(REDIS_URL);
  const answer = await new Promise((resolve) => {
    const sock = net.connect({ host: hostname, port: Number(port || 6379) });
    let got = '';
    sock.setTimeout(3_000, () => sock.destroy(new Error('timed out')));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) sock.end();
    });
    sock.on('close', () => resolve(got));
    sock.on('error', (e) => resolve(`error: ${e.message}`));
  });
  if (!answer.startsWith('+PONG')) {
    throw new Error(
      `Redis is required at ${REDIS_URL}: ${answer.trim() || 'no answer'}. ` +
        'Start it, or set CONCIERGE_TEST_SKIP_REDIS=1 to skip',
    );
  }
}

/** A port that was free a moment ago, on 127.0.0.1. */
async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * nginx, as the current user, with exactly deploy/nginx/concierge.conf: only its upstream
 * servers and its listen port are replaced (by `upstreams`, "127.0.0.1:PORT" each, and a
 * free loopback port), inside a main config that keeps pid, temp files and logs in a
 * temp dir. The access log names the instance each request went to.
 */
export async function startNginx(upstreams) {
  if (!existsSync(NGINX)) {
    throw new Error(`nginx not found at ${NGINX} (apt-get install nginx, or set NGINX_PATH)`);
  }
  const original = readFileSync(path.join(REPO, 'deploy/nginx/concierge.conf'), 'utf8');
  const servers = [...original.matchAll(/^(\s*server )127\.0\.0\.1:\d+( .*;)$/gm)];
  if (servers.length !== upstreams.length) {
    throw new Error(`deploy/nginx/concierge.conf has ${servers.length} upstream servers; the test runs ${upstreams.length}`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'concierge-nginx-'));
  for (;;) {
    const port = await freePort();
    let i = 0;
    const site = original
      .replace(/^(\s*server )127\.0\.0\.1:\d+( .*;)$/gm, (_, a, b) => `${a}${upstreams[i++]}${b}`)
      .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`);
    if (!site.includes(`listen 127.0.0.1:${port};`)) throw new Error('deploy/nginx/concierge.conf has no `listen 80;`');
    writeFileSync(path.join(dir, 'concierge.conf'), site);
    for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, `tmp-${t}`), { recursive: true });
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
    log_format upstream '$request_method $uri $status upstream=$upstream_addr';
    access_log ${dir}/access.log upstream;
    client_body_temp_path ${dir}/tmp-body;
    proxy_temp_path ${dir}/tmp-proxy;
    fastcgi_temp_path ${dir}/tmp-fastcgi;
    uwsgi_temp_path ${dir}/tmp-uwsgi;
    scgi_temp_path ${dir}/tmp-scgi;
    include ${dir}/concierge.conf;
}
`,
    );
    const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'];
    const proc = spawn(NGINX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    const url = `http://127.0.0.1:${port}`;
    const up = await Promise.race([exited.then(() => false), waitHttp(`${url}/healthz`).then(() => true, () => false)]);
    if (!up) {
      proc.kill('SIGKILL');
      await exited;
      const log = readLog(dir, 'error.log');
      // Another process took the port between freePort() and nginx's bind: try another.
      if (/Address already in use/.test(log + output)) continue;
      throw new Error(`nginx did not start:\n${output}\n${log}`);
    }
    return {
      url,
      dir,
      accessLog: () => readLog(dir, 'access.log'),
      errorLog: () => readLog(dir, 'error.log'),
      async close() {
        proc.kill('SIGQUIT');
        const killer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(killer);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

function readLog(dir, name) {
  try {
    return readFileSync(path.join(dir, name), 'utf8');
  } catch {
    return '';
  }
}

/** Resolves once `url` answers 200, within 10 s. */
async function waitHttp(url) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 10 s`);
    await sleep(100);
  }
}
