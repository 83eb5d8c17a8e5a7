// This runs inside other people's pages: every entry point (API call, event handler,
// timer, promise) goes through `safe`, so a failure here is never an uncaught exception
// or an unhandled rejection on the host page.

export const noop = () => {};

// Failures are expected (networks fail) and must stay invisible to the page; debug level
// keeps them out of the console unless a developer asks for verbose output.
export const oops = (e) => {
  try { console.debug('[Concierge]', e); } catch { /* console unavailable */ }
};

export const warn = (text) => {
  try { console.warn('[Concierge] ' + text); } catch { /* console unavailable */ }
};

export const safe = (fn) => (...args) => {
  try {
    const r = fn(...args);
    if (r && typeof r.catch === 'function') r.catch(oops);
  } catch (e) {
    oops(e);
  }
};

export const later = (fn, ms) => setTimeout(safe(fn), ms);

export const clean = (v) => (v == null ? undefined : String(v).trim() || undefined);
