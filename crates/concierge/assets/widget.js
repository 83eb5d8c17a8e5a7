/*
 * Concierge chat widget.
 *
 * Shipped as written: plain modern JavaScript, no build step, no dependency. How to embed
 * it and its JavaScript API: docs/widget.md. What it says to the server (authoritative):
 * docs/widget-protocol.md.
 *
 * This runs inside other people's pages, hence three rules:
 * - nothing escapes: every entry point (API call, event handler, timer, promise) is
 *   wrapped, so a failure here is never an uncaught exception or unhandled rejection;
 * - the only global is window.Concierge, and all UI lives in one shadow root;
 * - the only host contacted is the origin this script was loaded from.
 */
(() => {
  'use strict';

  // document.currentScript only exists during this first synchronous run.
  const script = document.currentScript || document.querySelector('script[data-bot-id][src*="widget.js"]');
  const W = window;
  // A second copy of the script on the page must not start a second widget.
  if (typeof W.Concierge === 'function' && W.Concierge.loaded) return;

  const API = '/api/widget/v1';
  const TIMEOUT = 10000; // slower than this counts as "server down"
  const POLL_MS = 3000;
  const PAGE = 200; // the server's page size for GET /messages
  const OFFLINE = 'Chat is offline, retrying';

  const noop = () => {};
  // Failures are expected (networks fail) and must stay invisible to the page; debug level
  // keeps them out of the console unless a developer asks for verbose output.
  const oops = (e) => {
    try { console.debug('[Concierge]', e); } catch { /* console unavailable */ }
  };
  const warn = (text) => {
    try { console.warn('[Concierge] ' + text); } catch { /* console unavailable */ }
  };
  const safe = (fn) => (...args) => {
    try {
      const r = fn(...args);
      if (r && typeof r.catch === 'function') r.catch(oops);
    } catch (e) {
      oops(e);
    }
  };
  const later = (fn, ms) => setTimeout(safe(fn), ms);
  // Exponential backoff with full jitter, so widgets that lost the server together do not
  // all come back in the same second. Capped lower while the panel is open: someone waits.
  const backoff = (n) => Math.random() * Math.min(isOpen ? 5000 : 30000, 500 * 2 ** n);

  const data = (script && script.dataset) || {};
  const botId = (data.botId || '').trim();
  const KEY = 'concierge:' + botId;
  let origin = '';
  try { origin = new URL(script.src).origin; } catch { /* reported below */ }

  // What the next session start sends. Replaced (never mutated) by login/update/logout, so
  // a slow token provider can tell that the user changed while it was running.
  const FIELDS = ['token', 'userId', 'email', 'name', 'phoneNumber'];
  const clean = (v) => (v == null ? undefined : String(v).trim() || undefined);
  function withFields(o, base) {
    const next = { ...base };
    for (const k of FIELDS) {
      const v = k === 'phoneNumber' && o.phoneNumber === undefined ? o.phone : o[k];
      if (v !== undefined) next[k] = clean(v); // null or '' clears, undefined keeps
    }
    return next;
  }
  let fields = withFields(data, {});

  let bot = null; // appearance, from GET /bots/{id}
  let sess = null; // {token, authenticated, identity, signed, contact}
  let convId = null; // conversation whose messages are shown
  let lastId = 0; // largest message id received in this session's conversation
  let quiet = 0; // messages up to this id were there before: never "unread"
  const shown = new Map(); // message id -> bubble
  let pending = []; // visitor messages not yet stored: {text, el, tried}
  let isOpen = false, wantFocus = false, unread = 0, blocked = false, offline = false;
  let dead = false, booted = false;
  let provider = null, asked = false; // onTokenExpired, and whether this episode asked it
  let gen = 0; // bumped by login/logout/update: older session work gives up
  let chain = Promise.resolve(), retry = null, retryTimer = 0;
  let link = 0, ws = null, timer = 0, attempt = 0, wsFails = 0, renewals = 0;
  let polling = false, flushing = false, flushTimer = 0, typingTimer = 0;
  let answering = null; // who answers the conversation: {handled_by: bot|waiting|agent, agent_name}
  const drafts = new Map(); // stream id -> bubble of a bot answer still being written
  let ui = null;

  // ---------------------------------------------------------------------------------
  // Server

  async function call(method, path, body, token) {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), TIMEOUT);
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

  const store = {
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
  async function sha256(text) {
    try {
      const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
      return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
    } catch { return null; }
  }

  // The token of a visitor session started without any access token: the only kind whose
  // conversation may follow a login. (A session whose token was refused belongs to
  // whoever held that token; it must not land in the next user's history.)
  const anonymousToken = (s) => (s && !s.authenticated && !s.identity && !s.signed ? s.token : undefined);

  function save() {
    if (!sess) return;
    // Unhashable token (no crypto.subtle): a stored session could not be told apart from
    // another user's, so none is kept.
    if (sess.signed && !sess.identity) return store.clear();
    store.write({ token: sess.token, authenticated: sess.authenticated, identity: sess.identity, last_id: lastId });
  }

  // Session work runs one step at a time, in call order. A step that fails (server down,
  // 5xx, 429) runs again later with backoff, unless a newer login/logout/update replaced it.
  function enqueue(step, tries = 0) {
    const g = gen;
    chain = chain
      .then(() => (g === gen && !dead ? step(g) : undefined))
      .catch((e) => {
        oops(e);
        if (g !== gen || dead) return;
        retry = { step, g, tries: tries + 1 };
        clearTimeout(retryTimer);
        retryTimer = later(again, backoff(tries + 1));
      });
    return chain;
  }

  function again(fresh) {
    const r = retry;
    retry = null;
    clearTimeout(retryTimer);
    if (r && r.g === gen) enqueue(r.step, fresh === true ? 0 : r.tries);
  }

  // Someone opened the panel (or the network came back) while offline: retry now rather
  // than at the end of a long backoff.
  function wake() {
    if (!offline) return;
    attempt = 0;
    if (retry) again(true);
    else if (sess) connect();
  }

  async function loadBot() {
    const r = await call('GET', '/bots/' + encodeURIComponent(botId));
    if (r.status === 200 && r.data.id) {
      bot = r.data;
      return paint();
    }
    if (r.status >= 400 && r.status < 500 && r.status !== 429) return stop(`unknown bot "${botId}": the chat is not shown`);
    throw new Error('bot: ' + r.status);
  }

  async function init(g) {
    if (!bot) await loadBot();
    if (dead || g !== gen) return;
    const st = store.read();
    const identity = fields.token ? await sha256(fields.token) : null;
    if (g !== gen) return;
    const same = st && (fields.token ? identity && st.identity === identity : !st.authenticated && !st.identity);
    if (same) {
      // Reused as is: the socket's (or first poll's) answer says whether it still lives,
      // and a 401 there starts a new session. History comes from after=0.
      sess = { token: st.token, authenticated: !!st.authenticated, identity, signed: !!fields.token, contact: null };
      quiet = Number(st.last_id) || 0;
      paint();
      return connect();
    }
    return start(g, anonymousToken(st), false);
  }

  async function start(g, visitor, keep) {
    if (!bot) await loadBot();
    if (dead || g !== gen) return;
    const f = fields;
    const identity = f.token ? await sha256(f.token) : null;
    const r = await call('POST', '/sessions', {
      bot_id: botId, access_token: f.token, user_id: f.userId, email: f.email, name: f.name,
      phone_number: f.phoneNumber, visitor_token: visitor,
    });
    if (dead || g !== gen) return;
    const d = r.data;
    const code = (d.error || d.auth_error || {}).code;
    // The site's token was refused: ask the page for a fresh one, once, and try again. A
    // 201 here is an anonymous session; its conversation follows the retry.
    if ((r.status === 201 || r.status === 401) && code === 'invalid_token' && (await freshToken(g))) {
      return start(g, visitor, keep);
    }
    if (r.status === 201 && d.session_token) return adopt(d, { identity, signed: !!f.token }, keep);
    if (r.status === 401) return block();
    if (r.status === 429 || r.status >= 500) throw new Error('session: ' + r.status);
    // Origin not allowed, bot deleted, invalid field: the page's setup, not a passing failure.
    stop(`cannot start a chat session (${r.status} ${code || ''}): the chat is not shown`);
  }

  function adopt(d, id, keep) {
    const conv = d.conversation || {};
    if (!keep && conv.id !== convId) clearLog(false);
    convId = conv.id;
    sess = { token: d.session_token, authenticated: !!d.authenticated, ...id, contact: d.contact || null, greeting: d.greeting, gs: d.greeting_styles };
    answering = conv.handled_by ? { handled_by: conv.handled_by, agent_name: conv.agent_name } : null;
    blocked = false;
    lastId = 0;
    const history = Array.isArray(conv.messages) ? conv.messages : [];
    for (const m of history) if (m && m.id > quiet) quiet = m.id;
    paint();
    history.forEach(ingest);
    save();
    connect();
  }

  // Sign-in required and refused (on_failure=block): no session, the sign-in text instead
  // of the composer.
  function block() {
    sess = null;
    halt();
    store.clear();
    blocked = true;
    paint();
  }

  async function freshToken(g) {
    if (!provider || asked) return false;
    asked = true;
    const f = fields;
    try {
      const t = await Promise.race([provider(), new Promise((r) => setTimeout(r, TIMEOUT))]);
      if (typeof t === 'string' && t.trim() && g === gen && fields === f) {
        fields = { ...f, token: t.trim() };
        return true;
      }
    } catch (e) {
      oops(e);
    }
    return false;
  }

  // The session expired or was revoked. Start another without disturbing the user: the
  // panel, the messages shown and the text being typed all stay.
  function renew(s) {
    if (s !== sess) return; // someone already did
    sess = null;
    halt();
    const g = gen;
    later(() => g === gen && enqueue(async (g2) => {
      if (fields.token) await freshToken(g2);
      return start(g2, undefined, true);
    }), renewals++ ? backoff(renewals) : 0);
  }

  function switchUser() {
    asked = false;
    if (!booted || dead) return Promise.resolve();
    gen++;
    return enqueue(async (g) => {
      const identity = fields.token ? await sha256(fields.token) : null;
      // The same user again (an app that calls login on every page load): keep the session.
      if (g !== gen || (sess && sess.authenticated && identity && sess.identity === identity)) return;
      halt();
      return start(g, anonymousToken(sess || store.read()), false);
    }).then(noop);
  }

  function logout() {
    const old = sess ? sess.token : (store.read() || {}).token;
    gen++;
    halt();
    store.clear();
    sess = null;
    fields = {};
    asked = blocked = false;
    pending = [];
    unread = lastId = quiet = 0;
    convId = null;
    answering = null;
    clearLog(true);
    if (ui) ui.text.value = '';
    paint();
    // The server forgets the session too, whatever happens to the rest of the logout.
    const revoked = old && !dead ? call('DELETE', '/session', null, old).catch(oops) : null;
    if (!booted || dead) return Promise.resolve();
    return enqueue(async (g) => {
      await revoked;
      return start(g, undefined, false);
    }).then(noop);
  }

  function stop(reason) {
    if (dead) return;
    dead = true;
    warn(reason);
    halt();
    if (ui) ui.host.remove();
    ui = null;
  }

  // ---------------------------------------------------------------------------------
  // Realtime: WebSocket, or polling where WebSockets are blocked

  function connect() {
    halt();
    if (!sess) return;
    if (typeof W.WebSocket !== 'function') polling = true;
    if (polling) poll(); else openSocket();
  }

  function halt() {
    link++;
    clearTimeout(timer);
    if (ws) {
      const s = ws;
      ws = null;
      // Closing a socket that is still connecting makes the browser log an error.
      try { if (s.readyState === 0) s.onopen = () => s.close(); else s.close(); } catch { /* closed */ }
    }
    typingOn(false);
    // A half-written answer whose stream was cut arrives whole with the backlog.
    dropDrafts();
  }

  function openSocket() {
    const me = link, s = sess;
    let ready = false, sock;
    const down = () => safe(socketDown)(me, s, ready);
    try {
      sock = new W.WebSocket(origin.replace(/^http/, 'ws') + API + '/ws');
    } catch (e) {
      return down();
    }
    ws = sock;
    // Open but never "ready" is as good as failed.
    const guard = later(() => sock.close(), TIMEOUT);
    sock.onopen = safe(() => sock.send(JSON.stringify({ type: 'hello', token: s.token, after: lastId })));
    sock.onmessage = safe((e) => {
      if (me !== link) return;
      const f = JSON.parse(e.data);
      if (f.type === 'ready') {
        ready = true;
        // A session reused after a reload learns its verified contact here.
        if (s === sess) {
          if (f.contact && !sess.contact) sess.contact = f.contact;
          if (typeof f.greeting === 'string') Object.assign(sess, { greeting: f.greeting, gs: f.greeting_styles });
          if (f.conversation) answering = f.conversation;
          paint();
        }
        clearTimeout(guard);
        wsFails = 0;
        healthy();
      } else if (f.type === 'message') ingest(f.message);
      else if (f.type === 'typing' && f.author !== 'visitor') typingOn(true, f.author);
      else if (f.type === 'handler') { answering = f; paint(); }
      else if (f.type === 'delta') draft(f.stream, f.text);
      else if (f.type === 'stream_end') dropDrafts(f.stream);
    });
    sock.onclose = safe((e) => {
      clearTimeout(guard);
      if (me !== link) return;
      ws = null;
      typingOn(false);
      if (e.code === 4401) renew(s); else down();
    });
  }

  async function socketDown(me, s, wasReady) {
    // Ask over HTTP what the socket could not say: server down (offline), session gone
    // (renew), or only WebSockets blocked on this network (after 3 times: poll). This
    // also fetches what was missed.
    const res = await pull(s);
    if (me !== link) return;
    if (res === 'gone') return renew(s);
    if (res !== 'down' && !wasReady && ++wsFails >= 3) {
      polling = true;
      return poll();
    }
    timer = later(() => me === link && openSocket(), backoff(++attempt));
  }

  const poll = safe(async () => {
    const me = link, s = sess;
    const res = await pull(s);
    if (me !== link) return;
    if (res === 'gone') return renew(s);
    if (res !== 'down') healthy();
    timer = later(poll, res === 'more' ? 0 : res === 'down' ? Math.max(POLL_MS, backoff(++attempt)) : POLL_MS);
  });

  // One GET /messages after the last id: 'ok', 'more' (a full page), 'gone' (401),
  // 'down', or 'stale' (the session changed meanwhile).
  async function pull(s) {
    try {
      const r = await call('GET', '/messages?after=' + lastId, null, s.token);
      if (s !== sess) return 'stale';
      if (r.status === 401) return 'gone';
      if (r.status !== 200) return 'down';
      const items = Array.isArray(r.data.items) ? r.data.items : [];
      items.forEach(ingest);
      if (r.data.conversation && r.data.conversation.handled_by !== (answering || {}).handled_by) {
        answering = r.data.conversation;
        paint();
      }
      return items.length >= PAGE ? 'more' : 'ok';
    } catch {
      return s === sess ? 'down' : 'stale';
    }
  }

  function healthy() {
    attempt = renewals = 0;
    asked = false;
    setOffline(false);
    flush();
  }

  // Visitor messages go out with POST /messages: its 201 says the message is stored, so
  // nothing typed is lost to a socket that died mid-send. The socket echo and the 201
  // carry the same id; whichever comes first settles the bubble.
  const flush = safe(async () => {
    if (flushing) return;
    flushing = true;
    let redo = false;
    try {
      while (pending.length && sess) {
        const s = sess, p = pending[0];
        if (p.tried) {
          // The last try may have been stored though its answer was lost: look first.
          const res = await pull(s);
          if (res === 'gone') { renew(s); break; }
          if (res !== 'ok' && res !== 'more') { redo = res === 'down'; break; }
          if (pending[0] !== p) continue;
        }
        p.tried = true;
        const r = await call('POST', '/messages', { text: p.text }, s.token);
        if (r.status === 201) settle(p, r.data);
        else if (r.status === 401) { renew(s); break; }
        else if (r.status === 429 || r.status >= 500) { redo = true; break; }
        else fail(p);
      }
    } catch {
      redo = true;
    }
    flushing = false;
    if (redo) {
      clearTimeout(flushTimer);
      flushTimer = later(flush, 1000 + backoff(3));
    }
  });

  // ---------------------------------------------------------------------------------
  // Messages

  // Every message from the stream (session history, socket, GET /messages) comes here.
  function ingest(m) {
    if (!m || !(m.id > 0) || typeof m.text !== 'string' || !ui) return;
    if (m.id > lastId) {
      lastId = m.id;
      save();
    }
    if (shown.has(m.id)) return;
    const mine = m.author === 'visitor';
    const stick = nearEnd();
    let el;
    if (mine) {
      const i = pending.findIndex((p) => p.tried && p.text === m.text);
      if (i >= 0) {
        el = pending.splice(i, 1)[0].el;
        el.classList.remove('pending');
      }
    }
    el = el || bubble(m.author, m.text, m.author_name || m.name, m.author === 'bot' && m.styles);
    stamp(el, m);
    shown.set(m.id, el);
    place(el, m.id);
    if (!mine) {
      typingOn(false);
      if (m.author === 'bot') dropDrafts();
      if (!isOpen && m.id > quiet) {
        unread++;
        announce(`New message from ${writer(m.author, m.author_name || m.name)}: ${m.text.length > 200 ? m.text.slice(0, 200) + '…' : m.text}`);
      }
      paint();
    }
    if (stick || mine) ui.log.scrollTop = ui.log.scrollHeight;
  }

  // Who wrote (or is writing): the agent's name when known, else the bot's.
  function writer(author, name) {
    if (author === 'agent') return clean(name) || clean((answering || {}).agent_name) || 'Agent';
    return clean(bot && bot.name) || 'Support';
  }

  // A reply that arrives while the panel is closed only changes the badge for the eyes; a
  // screen reader hears it from a live region outside the (hidden) panel. Emptied first,
  // so that the same words twice are announced twice.
  function announce(text) {
    put(ui.news, '');
    later(() => ui && put(ui.news, text), 50);
  }

  function settle(p, m) {
    const i = pending.indexOf(p);
    if (i < 0) return; // its echo was first
    pending.splice(i, 1);
    p.el.classList.remove('pending');
    if (!(m && m.id > 0)) return;
    stamp(p.el, m);
    if (shown.has(m.id)) return p.el.remove();
    shown.set(m.id, p.el);
    place(p.el, m.id);
  }

  function fail(p) {
    pending.splice(pending.indexOf(p), 1);
    p.el.classList.replace('pending', 'failed');
    p.el.append(el('span', 'note', 'Not sent'));
  }

  function submit() {
    const text = ui.text.value.trim();
    if (!text || blocked) return;
    ui.text.value = '';
    grow();
    send(text);
  }

  function send(text) {
    const b = bubble('visitor', text);
    b.classList.add('pending');
    ui.log.insertBefore(b, ui.typing);
    ui.log.scrollTop = ui.log.scrollHeight;
    pending.push({ text, el: b });
    flush();
  }

  // A bot answer streaming in, token by token; the stored message replaces it.
  function draft(id, text) {
    if (!ui || typeof id !== 'string' || typeof text !== 'string') return;
    const stick = nearEnd();
    let b = drafts.get(id);
    if (!b) {
      typingOn(false);
      b = bubble('bot', '');
      b.classList.add('draft');
      ui.log.insertBefore(b, ui.typing);
      drafts.set(id, b);
    }
    b.lastChild.textContent += text;
    if (stick) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function dropDrafts(id) {
    for (const [k, b] of drafts) {
      if (id === undefined || k === id) {
        b.remove();
        drafts.delete(k);
      }
    }
  }

  // ---------------------------------------------------------------------------------
  // UI: one host element, everything else in its shadow root

  const ICON_CHAT = '<svg class="chat" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M5 4h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
  const icon = (cls, d) => `<svg class="${cls}" viewBox="0 0 24 24" aria-hidden="true"><path d="${d}" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

  // Static markup only: every text that comes from the server or the page is set with
  // textContent or setAttribute, never parsed as HTML.
  const HTML = `
<div class="w">
  <div class="panel" id="panel" role="dialog" hidden>
    <header><div class="t"><h2></h2><p class="sub" aria-live="polite"></p></div><button class="x" type="button" aria-label="Close chat">${icon('', 'M6 6l12 12M18 6L6 18')}</button></header>
    <div class="log" role="log" aria-live="polite" aria-label="Messages" tabindex="0">
      <div class="b them greet" hidden></div>
      <div class="typing" aria-hidden="true" hidden><i></i><i></i><i></i></div>
    </div>
    <p class="sr" id="typing" role="status"></p>
    <p class="status" hidden>${OFFLINE}…</p>
    <div class="ask" hidden><button class="human" type="button">Talk to a person</button></div>
    <div class="compose">
      <textarea rows="1" aria-label="Message" placeholder="Write a message…" maxlength="4000"></textarea>
      <button class="send" type="button">Send</button>
    </div>
    <p class="signin" hidden></p>
  </div>
  <button class="launch" type="button" aria-label="Open chat" aria-controls="panel" aria-expanded="false">${ICON_CHAT}${icon('down', 'M6 9l6 6 6-6')}<span class="dot"></span></button>
  <span class="badge" id="badge" role="img" hidden></span>
  <span class="sr" id="off"></span>
  <span class="sr" id="news" aria-live="polite"></span>
</div>`;

  // The host page's CSS cannot reach into a shadow root, but it can still style the host
  // element itself and pass inherited properties through it: `all: initial !important`
  // on :host beats even `* { display: none !important }` (inner !important wins).
  const CSS = `
:host{all:initial!important;display:block!important;position:fixed!important;right:0!important;bottom:0!important;width:0!important;height:0!important;overflow:visible!important;visibility:visible!important;opacity:1!important;z-index:2147483000!important}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.w{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#111827;text-align:left;-webkit-font-smoothing:antialiased}
button{font:inherit;cursor:pointer;-webkit-tap-highlight-color:transparent}
:focus-visible{outline:2px solid var(--f);outline-offset:2px}
.launch{position:fixed;right:20px;bottom:20px;width:56px;height:56px;margin:0;padding:0;border:2px solid transparent;border-radius:50%;background:var(--c);color:var(--t);display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(0,0,0,.22);transition:transform .15s,background .3s}
@media (hover:hover){.launch:hover{transform:scale(1.06)}}
.launch svg{width:28px;height:28px}
.open .chat,.w:not(.open) .down{display:none}
.dot{display:none;position:absolute;right:0;bottom:0;width:16px;height:16px;border-radius:50%;background:#f59e0b;border:3px solid #fff}
.off .launch{background:#6b7280;color:#fff}
.off .dot{display:block}
.badge{position:fixed;right:12px;bottom:62px;min-width:22px;height:22px;padding:0 6px;border:2px solid #fff;border-radius:11px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:18px;text-align:center;pointer-events:none}
.panel{position:fixed;right:20px;bottom:88px;width:360px;height:560px;max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);display:flex;flex-direction:column;background:#fff;border:1px solid transparent;border-radius:12px;overflow:hidden;box-shadow:0 12px 48px rgba(0,0,0,.18),0 2px 6px rgba(0,0,0,.08)}
header{display:flex;align-items:center;gap:8px;padding:12px 10px 11px 18px;background:var(--c);color:var(--t);border-bottom:1px solid transparent}
header .t{flex:1;min-width:0}
.sub{margin:1px 0 0;font-size:12.5px;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sub:empty{display:none}
.ask{display:flex;justify-content:flex-end;padding:0 12px 6px}
.human{margin:0;padding:4px 10px;border:1px solid #d1d5db;border-radius:999px;background:#fff;color:#374151;font-size:13px}
.human:hover{background:#f3f4f6}
.draft span:last-child::after{content:"▍";opacity:.5}
h2{margin:0;font-size:16px;font-weight:600;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
header :focus-visible{outline-color:currentColor}
.x{display:flex;width:36px;height:36px;margin:0;padding:7px;border:1px solid transparent;border-radius:8px;background:none;color:inherit}
.x:hover{background:rgba(128,128,128,.25)}
.x svg{width:20px;height:20px}
.log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px;display:flex;flex-direction:column;gap:8px}
.b{max-width:80%;padding:7px 11px;border:1px solid transparent;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere}
.them{align-self:flex-start;background:#f1f3f5;border-bottom-left-radius:4px}
.me{align-self:flex-end;background:var(--c);color:var(--t);border-bottom-right-radius:4px}
.pending{opacity:.6}
.failed{opacity:.75}
.who,.note{display:block;font-size:12px;font-weight:600}
time{display:block;margin-top:1px;font-size:11px;line-height:1.3;text-align:right;color:#4b5563}
.me time{color:var(--m)}
.who{color:#4b5563;margin-bottom:2px}
.note{margin-top:2px}
.typing{align-self:flex-start;display:flex;gap:4px;padding:12px 13px;background:#f1f3f5;border:1px solid transparent;border-radius:16px}
.typing i{width:6px;height:6px;border-radius:50%;background:#6b7280;animation:cc-dot 1.2s infinite ease-in-out}
.typing i:nth-child(2){animation-delay:.15s}
.typing i:nth-child(3){animation-delay:.3s}
@keyframes cc-dot{0%,60%,100%{opacity:.35;transform:none}30%{opacity:1;transform:translateY(-3px)}}
.status,.signin{margin:0;border-top:1px solid #e5e7eb;color:#4b5563}
.status{padding:6px 16px;font-size:13px;text-align:center}
.signin{padding:16px 18px}
.gate .log{display:none}
.gate .signin{flex:1;display:flex;align-items:center;justify-content:center;padding:32px;border:0;font-size:15px;color:#374151;text-align:center}
.compose{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid #e5e7eb}
textarea{flex:1;height:40px;max-height:120px;margin:0;padding:9px 12px;border:1px solid #d1d5db;border-radius:10px;resize:none;font:inherit;font-size:16px;line-height:20px;color:inherit;background:#fff}
textarea::placeholder{color:#6b7280}
textarea:focus-visible{outline-offset:0}
.log:focus-visible{outline-offset:-2px}
.send{height:40px;margin:0;padding:0 15px;border:1px solid transparent;border-radius:10px;background:var(--c);color:var(--t);font-weight:600}
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:479.98px){.panel{inset:0;width:auto;height:auto;max-width:none;max-height:none;border-radius:0}.open .launch,.open .badge{display:none}}
@media (forced-colors:active){.typing i{forced-color-adjust:none;background:CanvasText}}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}`;

  // Text written only when it changes: live regions re-announce a rewrite of the same words.
  function put(e, text) {
    if (e.textContent !== text) e.textContent = text;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function bubble(author, text, who, styles) {
    const b = el('div', author === 'visitor' ? 'b me' : 'b them');
    // Screen readers hear who wrote it; agents' names are also shown.
    if (author === 'agent') b.append(el('span', 'who', clean(who) || 'Agent'));
    else b.append(el('span', 'sr', author === 'visitor' ? 'You: ' : writer(author) + ': '));
    b.append(styled(text, styles));
    return b;
  }

  // The text with a bot message's emphasis: ranges of UTF-16 code units, as string indices
  // count them (docs/widget-protocol.md). Elements of our own, text set as text; a range
  // out of bounds, of an unknown style, or crossing another is ignored.
  function styled(text, styles) {
    const root = el('span');
    const open = [{ n: root, end: text.length }];
    let at = 0;
    const put = (to) => {
      if (to > at) open[open.length - 1].n.append(text.slice(at, to));
      at = to;
    };
    const close = () => { put(open[open.length - 1].end); open.pop(); };
    const ranges = (Array.isArray(styles) ? styles : [])
      .filter((r) => r && (r.style === 'strong' || r.style === 'em') && Number.isInteger(r.start)
        && Number.isInteger(r.end) && r.start >= 0 && r.start < r.end && r.end <= text.length)
      .sort((a, b) => a.start - b.start || b.end - a.end);
    for (const r of ranges) {
      while (open.length > 1 && open[open.length - 1].end <= r.start) close();
      if (r.start < at || r.end > open[open.length - 1].end) continue;
      put(r.start);
      const n = el(r.style);
      open[open.length - 1].n.append(n);
      open.push({ n, end: r.end });
    }
    while (open.length > 1) close();
    put(text.length);
    return root;
  }

  // When a stored message was written, in the visitor's language and time zone: the time
  // today, the day and time before.
  function stamp(b, m) {
    const d = new Date(m.created_at);
    if (isNaN(d) || b.querySelector('time')) return;
    const now = new Date();
    const o = { hour: 'numeric', minute: '2-digit' };
    if (d.toDateString() !== now.toDateString()) {
      o.month = 'short';
      o.day = 'numeric';
      if (d.getFullYear() !== now.getFullYear()) o.year = 'numeric';
    }
    const t = el('time', '', new Intl.DateTimeFormat(undefined, o).format(d));
    t.dateTime = m.created_at;
    b.append(t);
  }

  function place(b, id) {
    b.dataset.id = id;
    let next = ui.typing;
    for (const c of ui.log.children) {
      if (c !== b && (c.classList.contains('pending') || +c.dataset.id > id)) {
        next = c;
        break;
      }
    }
    ui.log.insertBefore(b, next);
  }

  function clearLog(all) {
    shown.clear();
    if (ui) for (const b of ui.log.querySelectorAll(all ? '[data-id],.failed,.pending' : '[data-id],.failed')) b.remove();
  }

  const nearEnd = () => ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 60;

  function grow() {
    const t = ui.text;
    t.style.height = '';
    t.style.height = Math.min(t.scrollHeight + 2, 120) + 'px';
  }

  // The dots are for the eyes; the status line under the log says it in words.
  function typingOn(on, author) {
    if (!ui) return;
    clearTimeout(typingTimer);
    const stick = nearEnd();
    ui.typing.hidden = !on;
    put(ui.said, on ? writer(author) + ' is typing…' : '');
    if (on) {
      typingTimer = later(() => typingOn(false), 10000);
      if (stick) ui.log.scrollTop = ui.log.scrollHeight;
    }
  }

  // Phones (the same width as the CSS media query): the open panel covers the whole page.
  const FULL_SCREEN = '(max-width:479.98px)';
  let fullScreen = null;
  const covering = () => !!(isOpen && ui && fullScreen && fullScreen.matches);

  function focusInside() {
    (blocked ? ui.x : ui.text).focus();
  }

  function open(focus) {
    isOpen = true;
    wantFocus = focus;
    unread = 0;
    paint();
    if (ui) ui.log.scrollTop = ui.log.scrollHeight;
    wake();
  }

  function close() {
    const inside = ui && ui.panel.contains(ui.root.activeElement);
    isOpen = false;
    paint();
    // Focus must not stay on something hidden.
    if (inside) ui.launch.focus();
  }

  function setOffline(v) {
    if (offline === v) return;
    offline = v;
    paint();
  }

  function mount() {
    const host = document.createElement('concierge-chat');
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = HTML;
    // A constructed stylesheet is not blocked by a strict Content-Security-Policy
    // (style-src without 'unsafe-inline'); a <style> element is the fallback.
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.prepend(el('style', '', CSS));
    }
    const $ = (s) => root.querySelector(s);
    ui = {
      host, root, w: $('.w'), panel: $('.panel'), title: $('h2'), log: $('.log'), greet: $('.greet'),
      typing: $('.typing'), status: $('.status'), compose: $('.compose'), text: $('textarea'),
      signin: $('.signin'), ask: $('.ask'), sub: $('.sub'), launch: $('.launch'), badge: $('.badge'), off: $('#off'), x: $('.x'),
      said: $('#typing'), news: $('#news'),
    };
    const on = (e, type, fn) => e.addEventListener(type, safe(fn));
    on(ui.launch, 'click', () => (isOpen ? close() : open(true)));
    on(ui.x, 'click', close);
    on($('.send'), 'click', () => { submit(); ui.text.focus(); });
    on(ui.text, 'input', grow);
    on($('.human'), 'click', () => send("I'd like to talk to a person."));
    on(ui.text, 'keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submit();
      }
    });
    on(ui.w, 'keydown', (e) => {
      if (e.key === 'Escape' && isOpen) {
        close();
        ui.launch.focus();
      } else if (e.key === 'Tab' && covering()) {
        // The panel covers the page: Tab cycles inside it, never to what lies beneath.
        const stops = [...ui.panel.querySelectorAll('button,textarea,[tabindex="0"]')].filter((b) => b.getClientRects().length);
        const [first, last] = [stops[0], stops[stops.length - 1]];
        const at = ui.root.activeElement;
        if (first && (!ui.panel.contains(at) || at === (e.shiftKey ? first : last))) {
          e.preventDefault();
          (e.shiftKey ? last : first).focus();
        }
      }
    });
    // Nor does focus reach the page by other ways (a click on its edge, a script, the
    // address bar's Tab): the panel takes it back.
    document.addEventListener('focusin', safe((e) => {
      if (ui && covering() && e.target !== ui.host) focusInside();
    }), true);
    if (W.matchMedia) {
      fullScreen = W.matchMedia(FULL_SCREEN);
      fullScreen.addEventListener('change', safe(paint));
    }
    // An async or deferred script may run before <body> exists.
    const attach = () => document.body.append(host);
    if (document.body) attach();
    else document.addEventListener('DOMContentLoaded', safe(attach), { once: true });
  }

  // WCAG relative luminance of #rrggbb.
  function luminance(hex) {
    const n = parseInt(hex.slice(1), 16);
    return [16, 8, 0].reduce((sum, shift, i) => {
      const c = ((n >> shift) & 255) / 255;
      return sum + [0.2126, 0.7152, 0.0722][i] * (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    }, 0);
  }

  // The ink mixed toward the bot's colour as far as it stays readable on it (4.5:1 and a
  // margin): what a timestamp on the visitor's bubble is written in.
  function fade(ink, color, L) {
    const rgb = (h) => [16, 8, 0].map((s) => (parseInt(h.slice(1), 16) >> s) & 255);
    const a = rgb(ink), b = rgb(color);
    for (let k = 0.5; k < 1; k += 0.05) {
      const m = '#' + a.map((c, i) => Math.round(c * k + b[i] * (1 - k)).toString(16).padStart(2, '0')).join('');
      const l = luminance(m);
      if ((Math.max(l, L) + 0.05) / (Math.min(l, L) + 0.05) >= 4.6) return m;
    }
    return ink;
  }

  // Brings the UI in line with the state; cheap, so called whenever something changes.
  function paint() {
    if (dead || (!bot && !offline)) return; // nothing to show until the bot is known (or the server is down)
    if (!ui) mount();
    const b = bot || {};
    const name = clean(b.name) || 'Chat';
    const color = /^#[0-9a-f]{6}$/i.test(b.color) ? b.color : bot ? '#2563eb' : '#6b7280';
    const L = luminance(color);
    // Text on the bot's colour, chosen by the server to read at 4.5:1 (white on the grey
    // shown while the server is unreachable).
    const ink = /^#[0-9a-f]{6}$/i.test(b.text_color) ? b.text_color : '#ffffff';
    const { w, launch, badge } = ui;
    const focused = ui.root.activeElement;
    w.style.setProperty('--c', color);
    w.style.setProperty('--t', ink);
    w.style.setProperty('--m', fade(ink, color, L));
    // Focus rings sit on white: the bot's colour if visible there, else dark grey.
    w.style.setProperty('--f', 1.05 / (L + 0.05) >= 3 ? color : '#374151');
    w.classList.toggle('open', isOpen);
    w.classList.toggle('off', offline);
    w.classList.toggle('gate', blocked);
    ui.panel.hidden = !isOpen;
    ui.panel.setAttribute('aria-label', name);
    ui.panel.setAttribute('aria-modal', covering());
    put(ui.title, name);
    // Open, the launcher shows a chevron: "Minimize", so that it is not a second "Close chat".
    launch.setAttribute('aria-label', isOpen ? 'Minimize chat' : 'Open chat');
    launch.setAttribute('aria-expanded', isOpen);

    // The server renders the greeting from the verified contact only (never the page's
    // data-* claims); before a session exists, the bot's greeting for anyone.
    const [g, gs] = sess && typeof sess.greeting === 'string' ? [sess.greeting, sess.gs] : [b.greeting, b.greeting_styles];
    const greeting = typeof g === 'string' && g.trim() ? g : '';
    // Rebuilt only when it changed: the log announces what changes in it.
    const key = JSON.stringify([greeting, gs]);
    if (ui.greetKey !== key) {
      ui.greetKey = key;
      ui.greet.replaceChildren(styled(greeting, gs));
    }
    ui.greet.hidden = !greeting;

    // Who is answering: the bot, nobody yet (handed off), or a named person.
    const a = (sess && answering) || {};
    const agentName = clean(a.agent_name);
    put(ui.sub, a.handled_by === 'waiting' ? 'Waiting for a person to join…'
      : a.handled_by === 'agent' ? "You're chatting with " + (agentName || 'a person')
        : sess ? 'Bot replies instantly · a person on request' : '');
    ui.ask.hidden = blocked || !sess || (a.handled_by && a.handled_by !== 'bot');

    // Removed rather than hidden: no message box at all while sign-in is required. The
    // element (and any text typed in it) comes back as it was.
    if (blocked) ui.compose.remove(); else if (!ui.compose.isConnected) ui.signin.before(ui.compose);
    ui.signin.hidden = !blocked;
    put(ui.signin, clean(b.signin_text) || 'Please sign in to chat with us.');
    ui.status.hidden = !offline;

    badge.hidden = !unread;
    put(badge, unread > 99 ? '99+' : String(unread));
    badge.setAttribute('aria-label', unread === 1 ? '1 unread message' : unread + ' unread messages');
    // Offline keeps the name "Open chat" and adds a description (and tooltip).
    put(ui.off, offline ? OFFLINE : '');
    if (offline) launch.title = OFFLINE; else launch.removeAttribute('title');
    const described = [offline && 'off', unread && 'badge'].filter(Boolean).join(' ');
    if (described) launch.setAttribute('aria-describedby', described); else launch.removeAttribute('aria-describedby');

    if (isOpen && wantFocus) {
      wantFocus = false;
      focusInside();
    }
    // What had focus was just hidden or removed ("Talk to a person" once a person is asked
    // for, the message box when sign-in becomes required): focus would fall to the page,
    // where Escape no longer reaches the widget.
    if (isOpen && focused && focused !== launch && (!focused.isConnected || !focused.getClientRects().length)) focusInside();
  }

  // ---------------------------------------------------------------------------------
  // Public API: window.Concierge(command, options)

  function Concierge(command, options) {
    try {
      if (!dead) {
        const o = options && typeof options === 'object' ? options : {};
        switch (command) {
          case 'login':
            fields = withFields(o, {});
            return switchUser();
          case 'update': {
            const before = fields.token;
            fields = withFields(o, fields);
            if (fields.token !== before) return switchUser();
            break;
          }
          case 'logout':
            return logout();
          case 'open':
            open(true);
            break;
          case 'close':
            close();
            break;
          case 'onTokenExpired':
            provider = typeof options === 'function' ? options : null;
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

  try {
    // Commands the page queued before this script loaded (see docs/widget.md), in order.
    const queued = W.Concierge && Array.isArray(W.Concierge.q) ? W.Concierge.q : [];
    W.Concierge = Concierge;
    if (!botId || !origin) {
      dead = true;
      warn(`the widget script needs ${origin ? 'a data-bot-id attribute' : 'to be loaded with <script src>'}: the chat is not shown`);
    }
    for (const args of queued) Concierge(...args);
    booted = true;
    if (!dead) {
      enqueue(init);
      W.addEventListener('online', safe(wake));
    }
  } catch (e) {
    oops(e);
  }
})();
