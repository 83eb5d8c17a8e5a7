// Messages: the conversation as shown (stored messages in id order, the visitor's own
// messages until the server has them, bot answers streaming in), sending, and unread.

import { bubble, place, stamp } from './bubble.js';
import { backoff, call } from './connection.js';
import { el, put } from './dom.js';
import { pull } from './realtime.js';
import { clean, later, safe } from './safe.js';
import { blocked, bot, renew, save, sess } from './session.js';
import { grow, isOpen, nearEnd, paint, typingOn, ui } from './view.js';

export let lastId = 0; // largest message id received in this session's conversation
let quiet = 0; // messages up to this id were there before: never "unread"
// Messages up to this id were seen (the panel open, or opened since): kept across page
// loads apart from lastId, so that a reply that came while the panel was closed is still
// unread on the site's next page.
export let readId = 0;
export let unread = 0;
export let answering = null; // who answers the conversation: {handled_by: bot|waiting|agent, agent_name}
const shown = new Map(); // message id -> bubble
let pending = []; // visitor messages not yet stored: {text, el, id, tried}
const drafts = new Map(); // stream id -> bubble of a bot answer still being written
let flushing = false, flushTimer = 0;

export function setAnswering(a) {
  answering = a;
}

export function markRead() {
  unread = 0;
  if (lastId > readId) {
    readId = lastId;
    save();
  }
}

// A session reused after a reload: what the visitor had seen is not news.
export function quietUpTo(id) {
  quiet = readId = Number(id) || 0;
}

// A new session's conversation: its history is not news, and the socket starts from 0.
export function beginConversation(history) {
  lastId = 0;
  for (const m of history) if (m && m.id > quiet) quiet = m.id;
  readId = quiet;
}

// Logout: nothing of this user's conversation stays, not even the text being typed.
export function reset() {
  pending = [];
  unread = lastId = quiet = readId = 0;
  answering = null;
  clearLog(true);
  if (ui) ui.text.value = '';
}

export function clearLog(all) {
  shown.clear();
  if (ui) for (const b of ui.log.querySelectorAll(all ? '[data-id],.failed,.pending' : '[data-id],.failed')) b.remove();
}

// Visitor messages go out with POST /messages: its 201 says the message is stored, so
// nothing typed is lost to a socket that died mid-send. The socket echo and the 201
// carry the same id; whichever comes first settles the bubble.
export const flush = safe(async () => {
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
      // The same id with every try: a retry of a message stored already is that message.
      // A server from before ids (an instance not yet upgraded) refuses the field: the
      // message goes again without it, as it went then.
      const body = p.id ? { text: p.text, client_id: p.id } : { text: p.text };
      const r = await call('POST', '/messages', body, s.token);
      if (r.status === 201 || r.status === 200) settle(p, r.data);
      else if (r.status === 422 && p.id && (r.data.error || {}).code === 'invalid_body') { p.id = null; p.tried = false; }
      else if (r.status === 401) { renew(s); break; }
      else if (r.status === 429 || r.status >= 500) { redo = true; break; }
      else fail(p, r.data.error);
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

// Every message from the stream (session history, socket, GET /messages) comes here.
export function ingest(m) {
  if (!m || !(m.id > 0) || typeof m.text !== 'string' || !ui) return;
  if (m.id > lastId) {
    lastId = m.id;
    if (isOpen) readId = m.id;
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
export function writer(author, name) {
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

// Refused (too long, say): the bubble says why, and what was typed goes back in the box
// to be mended, unless something else is being typed there now.
function fail(p, error) {
  pending.splice(pending.indexOf(p), 1);
  p.el.classList.replace('pending', 'failed');
  const field = error && Array.isArray(error.fields) && error.fields[0];
  const why = clean((field && field.message) || (error && error.message));
  p.el.append(el('span', 'note', why ? 'Not sent: ' + why : 'Not sent'));
  if (ui && !ui.text.value.trim()) {
    ui.text.value = p.text;
    grow();
  }
  // The box grew: the reason, at the bubble's end, stays in sight.
  if (ui) ui.log.scrollTop = ui.log.scrollHeight;
}

// What a paste from a word processor brings along: page and line tabulations become line
// breaks, other control characters (which the server refuses) go.
const tidy = (s) => s.replace(/[\v\f\x85]/g, '\n').replace(/[\0-\b\x0e-\x1f\x7f-\x9f]/g, '');

export function submit() {
  const text = tidy(ui.text.value).trim();
  if (!text || blocked) return;
  ui.text.value = '';
  grow();
  send(text);
}

// An id of the widget's own for a message it sends; random enough that two never meet in
// one conversation.
function messageId() {
  try {
    return crypto.randomUUID();
  } catch {
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }
}

export function send(text) {
  const b = bubble('visitor', text);
  b.classList.add('pending');
  ui.log.insertBefore(b, ui.typing);
  ui.log.scrollTop = ui.log.scrollHeight;
  pending.push({ text, el: b, id: messageId() });
  flush();
}

// A bot answer streaming in, token by token; the stored message replaces it. Only a
// stream seen from its start and without a gap (`at`, where the piece starts) is shown: one
// joined mid-answer (a reload) or with a piece missed (a blip) would show an answer that
// starts mid-sentence or has a hole; its stored message follows whole. A server from
// before `at` sends none: its pieces are shown as they come.
export function draft(id, text, at) {
  if (!ui || typeof id !== 'string' || typeof text !== 'string') return;
  const stick = nearEnd();
  let b = drafts.get(id);
  if (typeof at === 'number' && at !== (b ? b.lastChild.textContent.length : 0)) {
    if (b) b.remove();
    drafts.set(id, null);
    return;
  }
  if (b === null) return;
  if (!b) {
    typingOn(false);
    b = bubble('bot', '');
    b.classList.add('draft');
    // Not read out piece by piece (the log is a live region): the stored message, which
    // replaces it, is announced once, whole.
    b.setAttribute('aria-hidden', 'true');
    ui.log.insertBefore(b, ui.typing);
    drafts.set(id, b);
  }
  b.lastChild.textContent += text;
  if (stick) ui.log.scrollTop = ui.log.scrollHeight;
}

export function dropDrafts(id) {
  for (const [k, b] of drafts) {
    if (id === undefined || k === id) {
      if (b) b.remove();
      drafts.delete(k);
    }
  }
}
