// The session kept across page loads (localStorage, per bot), and the hash that tells
// whose it is without storing the site's access token.

import { botId } from './embed.js';

const KEY = 'concierge:' + botId;

export const store = {
  read() {
    try {
      const v = JSON.parse(localStorage.getItem(KEY));
      return v && typeof v.token === 'string' ? v : null;
    } catch { return null; }
  },
  write(v) {
    try { localStorage.setItem(KEY, JSON.stringify(v)); } catch { /* storage blocked: no reuse */ }
  },
  clear() {
    try { localStorage.removeItem(KEY); } catch { /* storage blocked */ }
  },
};

// A logout, told to the site's other tabs: a storage event carries it there (the key is
// set and removed at once; only the setting says anything). Only a logout sends it, not
// any other time the stored session goes (a sign-in refused, an unhashable token).
const LOGOUT = KEY + ':logout';
export const logoutSignal = {
  send(revoked) {
    try {
      localStorage.setItem(LOGOUT, JSON.stringify({ revoked: revoked || null, at: Date.now() }));
      localStorage.removeItem(LOGOUT);
    } catch { /* storage blocked: no other tab shares it */ }
  },
  // The session token the other tab revoked (null if none) when `e` is its logout, else undefined.
  heard(e) {
    if (e.key !== LOGOUT || e.newValue === null) return undefined;
    try { return JSON.parse(e.newValue).revoked || null; } catch { return null; }
  },
};

// crypto.subtle only exists in secure contexts (https, localhost); without it, null.
export async function sha256(text) {
  try {
    const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
    return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
  } catch { return null; }
}
