/*
 * Concierge chat widget: the entry point of the bundle that Concierge serves as
 * /widget.js. How to embed it and its JavaScript API: docs/widget.md. What it says to the
 * server (authoritative): docs/widget-protocol.md. How it is built: widget/README.md.
 *
 * This runs inside other people's pages, hence three rules:
 * - nothing escapes: every entry point (API call, event handler, timer, promise) is
 *   wrapped (safe.js), so a failure here is never an uncaught exception or unhandled
 *   rejection;
 * - the only global is window.Concierge (api.js), and all UI lives in one shadow root
 *   (view.js);
 * - the only host contacted is the origin this script was loaded from (embed.js).
 *
 * The modules, by concern: connection.js (HTTP calls, offline, backoff), session.js
 * (starting, reusing, renewing, login and logout), realtime.js (WebSocket or polling),
 * messages.js (the conversation shown, sending), view.js (the shadow root and `paint`),
 * api.js (window.Concierge); and their helpers stored.js, bubble.js, markup.js,
 * contrast.js, dom.js, safe.js. The styles: widget.css.
 */

// The bundle is a classic script: strict like the modules it is made of.
'use strict';

import { boot } from './api.js';

// A second copy of the script on the page must not start a second widget.
if (!(typeof window.Concierge === 'function' && window.Concierge.loaded)) boot();
