// The static markup of the shadow root, built element by element: no HTML is parsed,
// so a site that enforces Trusted Types (require-trusted-types-for 'script', which refuses
// every innerHTML string) shows the widget all the same. Every text that comes from the
// server or the page is set later with textContent or setAttribute.

export const OFFLINE = 'Chat is offline, retrying';

const SVG = 'http://www.w3.org/2000/svg';

// `spec`: [tag, attributes, ...children]; a child is a spec or a text. Buttons are
// type=button: none submits anything.
function build(spec) {
  const [tag, attrs, ...children] = spec;
  const e = tag === 'svg' || tag === 'path' ? document.createElementNS(SVG, tag) : document.createElement(tag);
  if (tag === 'button') e.type = 'button';
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(typeof c === 'string' ? c : build(c));
  return e;
}

const chat = ['svg', { class: 'chat', viewBox: '0 0 24 24', 'aria-hidden': 'true' },
  ['path', { fill: 'currentColor', d: 'M5 4h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z' }]];
const icon = (cls, d) => ['svg', { class: cls, viewBox: '0 0 24 24', 'aria-hidden': 'true' },
  ['path', { d, fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }]];

// The panel (a dialog, hidden until opened), the launcher, its badge, and live regions.
const WIDGET = ['div', { class: 'w' },
  ['div', { class: 'panel', id: 'panel', role: 'dialog', hidden: '' },
    ['header', 0,
      ['div', { class: 't' }, ['h2'], ['p', { class: 'sub', 'aria-live': 'polite' }]],
      ['button', { class: 'x', 'aria-label': 'Close chat' }, icon('', 'M6 6l12 12M18 6L6 18')]],
    ['div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: '0' },
      ['div', { class: 'b them greet', hidden: '' }],
      ['div', { class: 'typing', 'aria-hidden': 'true', hidden: '' }, ['i'], ['i'], ['i']]],
    ['p', { class: 'sr', id: 'typing', role: 'status' }],
    ['p', { class: 'status', hidden: '' }, `${OFFLINE}…`],
    ['div', { class: 'ask', hidden: '' }, ['button', { class: 'human' }, 'Talk to a person']],
    ['div', { class: 'compose' },
      ['textarea', { rows: '1', 'aria-label': 'Message', placeholder: 'Write a message…', dir: 'auto' }],
      ['button', { class: 'send' }, 'Send']],
    ['p', { class: 'signin', hidden: '' }]],
  ['button', { class: 'launch', 'aria-label': 'Open chat', 'aria-controls': 'panel', 'aria-expanded': 'false' },
    chat, icon('down', 'M6 9l6 6 6-6'), ['span', { class: 'dot' }]],
  ['span', { class: 'badge', id: 'badge', role: 'img', hidden: '' }],
  ['span', { class: 'sr', id: 'off' }],
  ['span', { class: 'sr', id: 'news', 'aria-live': 'polite' }]];

export const markup = () => build(WIDGET);
