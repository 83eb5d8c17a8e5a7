// Where things are, and how Chromium is started, for the browser-test harness.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../..');
export const ARTIFACTS = path.join(REPO, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// How the browser tests and bench/widget start Chromium.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const CONCIERGE_BIN = process.env.CONCIERGE_BIN || path.join(REPO, 'target/debug/concierge');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
