// The view: one host element, everything else in its shadow root. `paint` brings it in
// line with the state of the other modules; opening and closing the panel, focus, and
// the typing indicator live here too.

import { styled } from './bubble.js';
import { fade, luminance } from './contrast.js';
import { offline } from './connection.js';
import { el, put } from './dom.js';
import { markup, OFFLINE } from './markup.js';
import { answering, markRead, send, submit, unread, writer } from './messages.js';
import { wake } from './realtime.js';
import { clean, later, safe } from './safe.js';
import { blocked, bot, dead, sess, stop } from './session.js';
import CSS from './widget.css';

export let ui = null;
export let isOpen = false;
let wantFocus = false, typingTimer = 0;

export const nearEnd = () => ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 60;

export function grow() {
  const t = ui.text;
  t.style.height = '';
  t.style.height = Math.min(t.scrollHeight + 2, 120) + 'px';
}

// The dots are for the eyes; the status line under the log says it in words.
export function typingOn(on, author) {
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

export function open(focus) {
  isOpen = true;
  wantFocus = focus;
  markRead();
  paint();
  if (ui) ui.log.scrollTop = ui.log.scrollHeight;
  wake();
}

export function close() {
  const inside = ui && ui.panel.contains(ui.root.activeElement);
  isOpen = false;
  paint();
  // Focus must not stay on something hidden.
  if (inside) ui.launch.focus();
}

function mount() {
  const host = document.createElement('concierge-chat');
  const root = host.attachShadow({ mode: 'open' });
  root.append(markup());
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
    // keyCode 229: Safari's Enter that ends an input method's composition (Japanese,
    // Chinese), which it does not mark isComposing. It picks the word; it must not send.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
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
  if (window.matchMedia) {
    fullScreen = window.matchMedia(FULL_SCREEN);
    fullScreen.addEventListener('change', safe(paint));
  }
  // An async or deferred script may run before <body> exists.
  const attach = () => document.body.append(host);
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', safe(attach), { once: true });
}

export function unmount() {
  if (ui) ui.host.remove();
  ui = null;
}

// Brings the UI in line with the state; cheap, so called whenever something changes.
export function paint() {
  if (dead || (!bot && !offline)) return; // nothing to show until the bot is known (or the server is down)
  if (!ui) {
    // A page that does not let it be shown would otherwise be tried again and again, each
    // time with a new session: said once, and given up.
    try {
      mount();
    } catch (e) {
      return stop(`cannot show the chat here (${e}): it is not shown`);
    }
  }
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
