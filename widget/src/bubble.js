// One message's bubble: who wrote it (for screen readers, or an agent's name), its text
// with the bot's emphasis, when it was written, and its place in the log.

import { el } from './dom.js';
import { writer } from './messages.js';
import { clean } from './safe.js';
import { ui } from './view.js';

export function bubble(author, text, who, styles) {
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
export function styled(text, styles) {
  const root = el('span');
  // Its own direction, from its first strong character: Arabic or Hebrew on a
  // left-to-right site (or the reverse) keeps its punctuation and numbers in place.
  root.dir = 'auto';
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
export function stamp(b, m) {
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

export function place(b, id) {
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
