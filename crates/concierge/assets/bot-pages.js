// Every bot page's script: copy buttons, confirmations before deleting, and the helpers
// that the Identity page's scripts (custom-auth.js, identity.js, identity-keys.js) share.
// Plain JavaScript, no dependency. Data from the server is only ever inserted with
// textContent, never as HTML.
(() => {
  'use strict';

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const csrf = () => $('meta[name="csrf-token"]')?.content ?? '';

  /** `el('p', {className: 'x'}, 'text', child…)`: an element with text, never parsed HTML. */
  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  /** A JSON call to the admin API with the sign-in cookie and the CSRF header. */
  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        'x-csrf-token': csrf(),
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let json = null;
    try {
      json = await res.json();
    } catch {
      // A proxy's HTML error page, say: the status alone has to do.
    }
    return { status: res.status, ok: res.ok, json };
  }

  // A button whose request is running stays focusable and says so (aria-disabled), rather
  // than being disabled: a disabled button drops the keyboard's focus to the page's start.
  const busy = (button) => button.getAttribute('aria-disabled') === 'true';
  function setBusy(button, on) {
    if (on) button.setAttribute('aria-disabled', 'true');
    else button.removeAttribute('aria-disabled');
  }

  const problem = (r) =>
    r.json?.error?.message || `The server answered ${r.status}. Reload the page and try again.`;

  /** A JSON text indented for reading; any other text as it is. */
  const pretty = (text) => {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  };

  function headerTable(headers) {
    const table = el('table', { className: 'hdrs' });
    for (const h of headers ?? []) table.append(el('tr', {}, el('td', {}, `${h.name}:`), el('td', {}, h.value)));
    return table;
  }

  function alert(text) {
    const p = el('p', { className: 'alert' }, text);
    p.setAttribute('role', 'alert');
    return p;
  }

  /** Hides the form's alert and every error next to its fields. */
  function clearFieldErrors(form, formAlert) {
    formAlert.hidden = true;
    formAlert.textContent = '';
    for (const p of $$('.field-error', form)) {
      p.hidden = true;
      p.textContent = '';
    }
    for (const i of $$('[aria-invalid]', form)) i.removeAttribute('aria-invalid');
  }

  const unreachable = 'the server could not be reached. Try again.';

  /** Says `text` in a status line, marked as a failure when `bad`. */
  function say(status, text, bad = false) {
    status.classList.toggle('bad', bad);
    status.textContent = text;
  }

  // The Identity page's scripts (custom-auth.js, identity.js, identity-keys.js), which run
  // after this one, work with the same helpers.
  window.conciergeDashboard = Object.freeze({
    $, $$, el, api, problem, busy, setBusy, pretty, headerTable, alert, clearFieldErrors, say, unreachable,
  });

  // -------------------------------------------------------------------------------------
  // Copy buttons: <button data-copy="ID"> copies the value or text of #ID.

  const announcer = el('p', { className: 'sr' });
  announcer.setAttribute('role', 'status');
  document.body.append(announcer);

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // No clipboard API (plain http on a LAN address, or permission refused): the old way.
      const area = el('textarea', { value: text, readOnly: true });
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.append(area);
      area.select();
      let done = false;
      try {
        done = document.execCommand('copy');
      } catch {
        done = false;
      }
      area.remove();
      return done;
    }
  }

  document.addEventListener('click', async (event) => {
    const button = event.target.closest('[data-copy]');
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = 'value' in source && source.tagName !== 'PRE' ? source.value : source.textContent;
    const done = await copyText(text);
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = done ? 'Copied ✓' : 'Select and copy';
    announcer.textContent = done ? 'Copied to the clipboard.' : 'Copying failed: select the text and copy it.';
    clearTimeout(button._reset);
    button._reset = setTimeout(() => {
      button.textContent = label;
    }, 2000);
  });

  // -------------------------------------------------------------------------------------
  // <form data-confirm="Question?"> asks before it is sent (the page's CSP allows no inline
  // onsubmit handler).

  document.addEventListener('submit', (event) => {
    const asking = event.target.closest('form[data-confirm]');
    if (asking && !window.confirm(asking.dataset.confirm)) event.preventDefault();
  });
})();
