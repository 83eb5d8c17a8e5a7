// Realtime: a WebSocket, or polling GET /messages where WebSockets are blocked. Either
// one also tells whether the session still lives and whether the server is up.

import { API, backoff, call, offline, setOffline, TIMEOUT } from './connection.js';
import { origin } from './embed.js';
import { answering, draft, dropDrafts, flush, ingest, lastId, setAnswering } from './messages.js';
import { later, safe } from './safe.js';
import { inConversation, renew, retryNow, sess, sessionWorks } from './session.js';
import { paint, typingOn } from './view.js';

const POLL_MS = 3000;
const PAGE = 200; // the server's page size for GET /messages

let link = 0; // bumped on every (re)connect: callbacks of an older link give up
let ws = null, timer = 0, attempt = 0, wsFails = 0, polling = false;

export function connect() {
  halt();
  if (!sess) return;
  if (typeof window.WebSocket !== 'function') polling = true;
  if (polling) poll(); else openSocket();
}

export function halt() {
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

// Someone opened the panel (or the network came back) while offline: retry now rather
// than at the end of a long backoff.
export function wake() {
  if (!offline) return;
  attempt = 0;
  if (!retryNow() && sess) connect();
}

function openSocket() {
  const me = link, s = sess;
  let ready = false, sock;
  const down = () => safe(socketDown)(me, s, ready);
  try {
    sock = new window.WebSocket(origin.replace(/^http/, 'ws') + API + '/ws');
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
        if (f.conversation) {
          setAnswering(f.conversation);
          inConversation(f.conversation.id);
        }
        paint();
      }
      clearTimeout(guard);
      wsFails = 0;
      healthy();
    } else if (f.type === 'message') ingest(f.message);
    else if (f.type === 'typing' && f.author !== 'visitor') typingOn(true, f.author);
    else if (f.type === 'handler') { setAnswering(f); paint(); }
    else if (f.type === 'delta') draft(f.stream, f.text, f.at);
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
export async function pull(s) {
  try {
    const r = await call('GET', '/messages?after=' + lastId, null, s.token);
    if (s !== sess) return 'stale';
    if (r.status === 401) return 'gone';
    if (r.status !== 200) return 'down';
    const items = Array.isArray(r.data.items) ? r.data.items : [];
    items.forEach(ingest);
    if (r.data.conversation && r.data.conversation.handled_by !== (answering || {}).handled_by) {
      setAnswering(r.data.conversation);
      paint();
    }
    return items.length >= PAGE ? 'more' : 'ok';
  } catch {
    return s === sess ? 'down' : 'stale';
  }
}

function healthy() {
  attempt = 0;
  sessionWorks();
  setOffline(false);
  flush();
}
