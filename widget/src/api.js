// The public API: window.Concierge(command, options), the page's only way in
// (docs/widget.md), and the start of everything.

import { botId, origin } from './embed.js';
import { oops, warn } from './safe.js';
import { begin, dead, login, logout, onTokenExpired, stop, update } from './session.js';
import { close, open } from './view.js';

function Concierge(command, options) {
  try {
    if (!dead) {
      const o = options && typeof options === 'object' ? options : {};
      switch (command) {
        case 'login':
          return login(o);
        case 'update':
          return update(o);
        case 'logout':
          return logout();
        case 'open':
          open(true);
          break;
        case 'close':
          close();
          break;
        case 'onTokenExpired':
          onTokenExpired(options);
          break;
        default:
          warn(`unknown command ${JSON.stringify(String(command))}`);
      }
    }
  } catch (e) {
    oops(e);
  }
  return Promise.resolve();
}
Concierge.loaded = true;

export function boot() {
  try {
    // Commands the page queued before this script loaded (see docs/widget.md), in order.
    const queued = window.Concierge && Array.isArray(window.Concierge.q) ? window.Concierge.q : [];
    window.Concierge = Concierge;
    if (!botId || !origin) {
      stop(`the widget script needs ${origin ? 'a data-bot-id attribute' : 'to be loaded with <script src>'}: the chat is not shown`);
    }
    for (const args of queued) Concierge(...args);
    begin();
  } catch (e) {
    oops(e);
  }
}
