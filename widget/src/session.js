// The visitor's session: who the page says the user is, starting and reusing sessions,
// login, update, logout, and renewing an expired session without disturbing the user.

import { backoff, call, START_TIMEOUT, TIMEOUT } from './connection.js';
import { botId, data } from './embed.js';
import { beginConversation, clearLog, ingest, lastId, quietUpTo, readId, reset, setAnswering } from './messages.js';
import { connect, halt, wake } from './realtime.js';
import { clean, later, noop, oops, safe, warn } from './safe.js';
import { logoutSignal, sha256, store } from './stored.js';
import { paint, unmount } from './view.js';

// What proves who the user is: the access token (a call or a signed user token), or the
// identity hash of the user id or email.
const proofOf = (f) => f.token || f.userHash;

// The session start's body fields, and what the page calls them.
const WIRE = {
  access_token: 'token', user_id: 'userId', user_hash: 'userHash', email: 'email', name: 'name',
  phone_number: 'phoneNumber',
};

// What the next session start sends. Replaced (never mutated) by login/update/logout, so
// a slow token provider can tell that the user changed while it was running.
function withFields(o, base) {
  const next = { ...base };
  for (const k of Object.values(WIRE)) {
    const v = k === 'phoneNumber' && o.phoneNumber === undefined ? o.phone : o[k];
    if (v !== undefined) next[k] = clean(v); // null or '' clears, undefined keeps
  }
  return next;
}
let fields = withFields(data, {});

export let bot = null; // appearance, from GET /bots/{id}
export let sess = null; // {token, authenticated, identity, signed, contact, greeting, gs, refused}
export let blocked = false; // sign-in required and refused: no session
export let dead = false; // stopped for good: the page's setup is wrong
let booted = false;
let convId = null; // conversation whose messages are shown
let provider = null, asked = false; // onTokenExpired, and whether this episode asked it
let renewals = 0; // renewals in a row, without the session working in between
let gen = 0; // bumped by login/logout/update: older session work gives up
let chain = Promise.resolve(), retry = null, retryTimer = 0;

// The token of the session whose conversation the next start, with the proof of hash
// `identity`, may continue: a visitor session started without any proof, or one that this
// same proof did not sign in (the server lets only the same access token continue it). A
// session another proof did not sign in belongs to whoever held that proof; it must not
// land in the next user's history.
const carried = (s, identity) =>
  s && !s.authenticated && (s.identity ? s.identity === identity : !s.signed) ? s.token : undefined;

// A session whose proof was refused (the customer's API failed to answer, say) is kept
// for that proof, and signing in is tried again at a page load this long after.
const SIGN_IN_AGAIN_MS = 60000;

export function save() {
  if (!sess) return;
  // Unhashable token (no crypto.subtle): a stored session could not be told apart from
  // another user's, so none is kept.
  if (sess.signed && !sess.identity) return store.clear();
  // Another tab of the same session may have seen more.
  const before = store.read();
  const seen = Math.max(readId, before && before.token === sess.token ? Number(before.read_id) || 0 : 0);
  store.write({
    token: sess.token, authenticated: sess.authenticated, identity: sess.identity, last_id: lastId, read_id: seen,
    refused: sess.refused,
  });
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

// The failed step waiting out its backoff runs now, counted as a first try; false when
// no step is waiting.
export function retryNow() {
  if (!retry) return false;
  again(true);
  return true;
}

// The session works (the server answered it): a later expiry renews at once, and may ask
// the page for a fresh token again.
export function sessionWorks() {
  renewals = 0;
  asked = false;
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
  const proof = proofOf(fields);
  const identity = proof ? await sha256(proof) : null;
  if (g !== gen) return;
  const same = st && (proof ? identity && st.identity === identity : !st.authenticated && !st.identity);
  // The same proof that did not sign the user in, tried again: a refusal (a passing failure
  // of the customer's API, say) a minute later; a proof the server ignored (nothing
  // identified users then) once the bot identifies them. Its conversation goes on.
  const unconfirmed = same && proof && !st.authenticated;
  const again = st && st.refused ? !(Date.now() - st.refused < SIGN_IN_AGAIN_MS) : bot.identifies;
  if (same && !(unconfirmed && again)) {
    // Reused as is: the socket's (or first poll's) answer says whether it still lives,
    // and a 401 there starts a new session. History comes from after=0.
    const refused = st.refused;
    sess = { token: st.token, authenticated: !!st.authenticated, identity, signed: !!proof, contact: null, refused };
    // Stored before read_id was: what had arrived counts as seen, as it did then.
    quietUpTo(st.read_id ?? st.last_id);
    paint();
    return connect();
  }
  return start(g, carried(st, identity), false);
}

async function start(g, visitor, keep) {
  if (!bot) await loadBot();
  if (dead || g !== gen) return;
  const f = fields;
  const identity = proofOf(f) ? await sha256(proofOf(f)) : null;
  const body = { bot_id: botId, visitor_token: visitor };
  for (const w in WIRE) body[w] = f[WIRE[w]];
  const r = await call('POST', '/sessions', body, undefined, proofOf(f) ? START_TIMEOUT : TIMEOUT);
  if (dead || g !== gen) return;
  const d = r.data;
  const code = (d.error || d.auth_error || {}).code;
  // The site's token was refused or has expired: ask the page for a fresh one, once, and
  // try again. A 201 here is an anonymous session; its conversation follows the retry.
  const stale = code === 'invalid_token' || code === 'token_expired';
  if ((r.status === 201 || r.status === 401) && stale && (await freshToken(g))) {
    return start(g, visitor, keep);
  }
  if (r.status === 201 && d.session_token) return adopt(d, { identity, signed: !!proofOf(f) }, keep);
  if (r.status === 401) return block();
  if (r.status === 429 || r.status >= 500) throw new Error('session: ' + r.status);
  if (r.status === 422 && fields === f) {
    // A token or a field the server cannot take (a token over 8 KiB, a name over 1 KiB):
    // the page's mistake must not take the chat off it. Without them, the bot decides as
    // for anyone it cannot sign in: a visitor, or the sign-in text.
    const refused = ((d.error || {}).fields || []).map((e) => e.field === 'visitor_token' ? 'visitor' : WIRE[e.field]);
    const kept = refused.filter((k) => (k === 'visitor' ? visitor : f[k] != null));
    if (kept.length) {
      warn(`${kept} refused (${(d.error || {}).message}): going on without`);
      fields = { ...f };
      for (const k of kept) delete fields[k];
      return start(g, kept.includes('visitor') ? undefined : visitor, keep);
    }
  }
  // Origin not allowed, bot deleted, invalid field: the page's setup, not a passing failure.
  stop(`cannot start a chat session (${r.status} ${code || ''}): the chat is not shown`);
}

function adopt(d, id, keep) {
  const conv = d.conversation || {};
  // A renewal keeps what is shown only if it goes on in the same conversation: one that
  // ends in another (the token refused now, the session gone) shows that one alone.
  if ((!keep || convId) && conv.id !== convId) clearLog(false);
  convId = conv.id;
  sess = { token: d.session_token, authenticated: !!d.authenticated, ...id, contact: d.contact || null, greeting: d.greeting, gs: d.greeting_styles };
  if (id.signed && d.auth_error) sess.refused = Date.now();
  setAnswering(conv.handled_by ? { handled_by: conv.handled_by, agent_name: conv.agent_name } : null);
  blocked = false;
  const history = Array.isArray(conv.messages) ? conv.messages : [];
  beginConversation(history);
  paint();
  history.forEach(ingest);
  save();
  connect();
}

// The conversation the socket says the session is in (a session reused after a reload
// learns it there).
export function inConversation(id) {
  if (typeof id === 'string') convId = id;
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
export function renew(s) {
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
    const identity = proofOf(fields) ? await sha256(proofOf(fields)) : null;
    // The same user again (an app that calls login on every page load): keep the session.
    if (g !== gen || (sess && sess.authenticated && identity && sess.identity === identity)) return;
    halt();
    const before = sess || store.read();
    const visitor = carried(before, identity);
    // Another user's conversation does not go on: nothing of theirs stays, neither what they
    // typed nor what waits to be sent (it would be sent as the new user); and what the new
    // user types meanwhile waits for their session rather than going out in the old one.
    if (before && !visitor) {
      sess = null;
      reset();
      paint();
    }
    return start(g, visitor, false);
  }).then(noop);
}

export function login(o) {
  fields = withFields(o, {});
  return switchUser();
}

// Changes only the fields given; a changed token or identity hash is another user.
export function update(o) {
  const before = proofOf(fields);
  fields = withFields(o, fields);
  return proofOf(fields) !== before ? switchUser() : Promise.resolve();
}

export function logout() {
  return signOut(undefined);
}

// Logs out; `elsewhere`: the token another tab revoked already (not revoked again), when
// that tab's logout is what this one follows; `undefined` for the page's own logout, which
// the other tabs are told of.
function signOut(elsewhere) {
  const mine = sess ? sess.token : (store.read() || {}).token;
  const old = mine !== elsewhere ? mine : null;
  gen++;
  halt();
  store.clear();
  if (elsewhere === undefined) logoutSignal.send(old);
  sess = null;
  fields = {};
  asked = blocked = false;
  convId = null;
  reset();
  paint();
  // The server forgets the session too, whatever happens to the rest of the logout.
  const revoked = old && !dead ? call('DELETE', '/session', null, old).catch(oops) : null;
  if (!booted || dead) return Promise.resolve();
  return enqueue(async (g) => {
    await revoked;
    return start(g, undefined, false);
  }).then(noop);
}

export function onTokenExpired(fn) {
  provider = typeof fn === 'function' ? fn : null;
}

export function stop(reason) {
  if (dead) return;
  dead = true;
  warn(reason);
  halt();
  unmount();
}

// After the commands the page queued before the script loaded: the first session.
export function begin() {
  booted = true;
  if (!dead) {
    enqueue(init);
    window.addEventListener('online', safe(wake));
    // Another tab of the site logged its user out: nothing of that user stays on screen
    // here either. A tab without a user has nothing to forget.
    window.addEventListener('storage', safe((e) => {
      const revoked = logoutSignal.heard(e);
      if (revoked !== undefined && (proofOf(fields) || (sess && sess.authenticated))) signOut(revoked);
    }));
  }
}
