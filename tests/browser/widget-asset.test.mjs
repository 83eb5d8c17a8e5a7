// 1. /widget.js as served: caching headers, conditional requests, compression, size budget.
// No browser needed: this is what every browser (and CDN) sees on the wire.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';

import { ConciergeServer } from './harness.mjs';

const BUDGET = 10_752; // gzipped bytes: 10.5 KiB (docs/widget.md)

/** GET without any automatic decompression: the bytes as sent. */
function rawGet(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

let server;
before(async () => {
  server = await ConciergeServer.start();
});
after(async () => {
  await server?.close();
});

test('/widget.js is JavaScript with an ETag and a Cache-Control', async () => {
  const res = await rawGet(`${server.url}/widget.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^(text|application)\/javascript\b/);
  assert.ok(res.headers.etag, 'ETag header present');
  assert.ok(res.headers['cache-control'], 'Cache-Control header present');
  assert.equal(res.headers['content-encoding'] ?? 'identity', 'identity', 'no encoding unless asked');
  assert.ok(res.body.length > 1000, `a real script (${res.body.length} bytes)`);
  // A syntax check of what browsers will execute.
  assert.doesNotThrow(() => new Function(res.body.toString('utf8')), 'widget.js parses as a script');
});

test('/widget.js answers 304 Not Modified to If-None-Match with its ETag', async () => {
  const first = await rawGet(`${server.url}/widget.js`);
  const etag = first.headers.etag;
  assert.ok(etag);
  const second = await rawGet(`${server.url}/widget.js`, { 'if-none-match': etag });
  assert.equal(second.status, 304);
  assert.equal(second.body.length, 0, '304 has no body');
  assert.equal(second.headers.etag, etag, '304 repeats the ETag');
  // A different tag is not a match.
  const third = await rawGet(`${server.url}/widget.js`, { 'if-none-match': '"not-the-etag"' });
  assert.equal(third.status, 200);
});

test('/widget.js is served gzip- and br-encoded when asked, with the same content', async () => {
  const plain = await rawGet(`${server.url}/widget.js`);

  const gz = await rawGet(`${server.url}/widget.js`, { 'accept-encoding': 'gzip' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gz.headers.vary ?? '', /accept-encoding/i, 'Vary: Accept-Encoding');
  assert.ok(zlib.gunzipSync(gz.body).equals(plain.body), 'gzip body decodes to the script');

  const br = await rawGet(`${server.url}/widget.js`, { 'accept-encoding': 'br' });
  assert.equal(br.status, 200);
  assert.equal(br.headers['content-encoding'], 'br');
  assert.ok(zlib.brotliDecompressSync(br.body).equals(plain.body), 'br body decodes to the script');

  // An encoded 304 works too.
  const gz304 = await rawGet(`${server.url}/widget.js`, { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag });
  assert.equal(gz304.status, 304);
});

test(`/widget.js is at most ${BUDGET} bytes gzipped`, async (t) => {
  const plain = await rawGet(`${server.url}/widget.js`);
  const ours = zlib.gzipSync(plain.body, { level: 9 }).length;
  const gz = await rawGet(`${server.url}/widget.js`, { 'accept-encoding': 'gzip' });
  t.diagnostic(`widget.js: ${plain.body.length} bytes, gzip -9 ${ours} bytes, served gzip ${gz.body.length} bytes`);
  assert.ok(ours <= BUDGET, `gzip -9 size ${ours} ≤ ${BUDGET}`);
  assert.ok(gz.body.length <= BUDGET, `served gzip size ${gz.body.length} ≤ ${BUDGET}`);
});
