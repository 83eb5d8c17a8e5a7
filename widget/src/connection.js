// The server: one HTTP call with a timeout, whether the server answers at all, and when
// to try again after it did not.

import { origin } from './embed.js';
import { isOpen, paint } from './view.js';

export const API = '/api/widget/v1';
export const TIMEOUT = 10000; // slower than this counts as "server down"
// A session start waits for the customer's API too, for as long as the bot allows it
// (up to 30 s): cut at TIMEOUT, a slow API would never sign anyone in, and every retry
// would ask it again.
export const START_TIMEOUT = 35000;

export let offline = false;

export function setOffline(v) {
  if (offline === v) return;
  offline = v;
  paint();
}

// Exponential backoff with full jitter, so widgets that lost the server together do not
// all come back in the same second. Capped lower while the panel is open: someone waits.
export const backoff = (n) => Math.random() * Math.min(isOpen ? 5000 : 30000, 500 * 2 ** n);

export async function call(method, path, body, token, wait = TIMEOUT) {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), wait);
  try {
    const headers = {};
    if (body) headers['content-type'] = 'application/json';
    if (token) headers.authorization = 'Bearer ' + token;
    const res = await fetch(origin + API + path, {
      method, headers, body: body ? JSON.stringify(body) : null,
      signal: ctl.signal, credentials: 'omit', cache: 'no-store',
    });
    const json = await res.json().catch(() => null);
    setOffline(res.status >= 500);
    return { status: res.status, data: json || {} };
  } catch (e) {
    setOffline(true);
    throw e;
  } finally {
    clearTimeout(t);
  }
}
