// The session kept across page loads (localStorage, per bot), and the hash that tells
// whose it is without storing the site's access token.

import { botId } from './embed.js';

export const KEY = 'concierge:' + botId;

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

// crypto.subtle only exists in secure contexts (https, localhost); without it, null.
export async function sha256(text) {
  try {
    const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
    return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
  } catch { return null; }
}
