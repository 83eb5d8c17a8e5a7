// What the host page's <script> tag says: which bot, and the origin the script came from
// (the only host the widget ever contacts). Read while the script first runs, before
// anything else: document.currentScript only exists during that synchronous run.

export const script = document.currentScript || document.querySelector('script[data-bot-id][src*="widget.js"]');
export const data = (script && script.dataset) || {};
export const botId = (data.botId || '').trim();

export let origin = '';
try { origin = new URL(script.src).origin; } catch { /* reported at boot */ }
