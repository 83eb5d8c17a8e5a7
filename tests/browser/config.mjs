// Where things are, for the browser-test harness.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../..');
export const ARTIFACTS = path.join(REPO, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CONCIERGE_BIN = process.env.CONCIERGE_BIN || path.join(REPO, 'target/debug/concierge');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
