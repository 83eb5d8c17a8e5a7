// The Identity page's keys: those that sign user tokens (add, delete, reveal, copy) and the
// identity hash secret (reveal, rotate). Each action's answer is the identity settings,
// whose keys are shown again. Runs after bot-pages.js, whose helpers it uses.
// Plain JavaScript, no dependency. Data from the server is only ever inserted with
// textContent, never as HTML.
(() => {
  'use strict';

  const { $, el, api, problem, busy, setBusy, say, unreachable } = window.conciergeDashboard;
  const keysBody = $('#jwt-keys');
  if (!keysBody) return;
  const base = `/api/admin/v1/bots/${encodeURIComponent($('.ca-grid').dataset.botId)}/identity`;

  function revealer(button, field) {
    button.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-controls', field.id);
    button.addEventListener('click', () => {
      const show = field.type === 'password';
      field.type = show ? 'text' : 'password';
      button.firstChild.textContent = show ? 'Hide' : 'Reveal';
      button.setAttribute('aria-pressed', String(show));
    });
  }

  const keysStatus = $('#jwt-keys-status');
  function renderKeys(keys) {
    keysBody.replaceChildren(
      ...keys.map((k) => {
        const secret = el('input', { id: `jwt-key-${k.kid}`, type: 'password', readOnly: true, value: k.secret, autocomplete: 'off', spellcheck: false });
        secret.setAttribute('aria-label', `Secret of key ${k.kid}`);
        const reveal = el('button', { type: 'button' }, el('span', {}, 'Reveal'), el('span', { className: 'sr' }, ` the secret of key ${k.kid}`));
        revealer(reveal, secret);
        const copy = el('button', { type: 'button' }, 'Copy');
        copy.dataset.copy = secret.id;
        copy.setAttribute('aria-label', `Copy the secret of key ${k.kid}`);
        const remove = el('button', { type: 'button', className: 'icon' }, 'Delete', el('span', { className: 'sr' }, ` key ${k.kid}`));
        remove.dataset.deleteKey = k.kid;
        const created = el('time', { dateTime: k.created_at }, new Date(k.created_at).toLocaleString());
        const head = el('div', { className: 'key-head' }, el('span', {}, 'kid ', el('code', {}, k.kid)), el('span', { className: 'muted grow' }, 'created ', created), remove);
        return el('li', {}, head, el('div', { className: 'secret-row' }, secret, reveal, copy));
      }),
    );
  }
  renderKeys(JSON.parse(keysBody.dataset.keys || '[]'));
  // identity.js saved the settings: their answer holds the keys as they are now.
  document.addEventListener('concierge:identity', ({ detail: dto }) => {
    renderKeys(dto.jwt.keys);
    $('#hash-secret').value = dto.identity_hash.secret;
  });

  /** A key action: its answer is the whole identity DTO, whose keys are shown. */
  async function keyAction(method, path, done) {
    try {
      const r = await api(method, path);
      if (!r.ok) return say(keysStatus, problem(r), true);
      renderKeys(r.json.jwt.keys);
      say(keysStatus, done(r.json));
    } catch {
      say(keysStatus, `Nothing changed: ${unreachable}`, true);
    }
  }

  const addKey = $('#add-jwt-key');
  addKey.addEventListener('click', async () => {
    if (busy(addKey)) return;
    setBusy(addKey, true);
    await keyAction('POST', `${base}/jwt/keys`, (dto) => `Key ${dto.jwt.keys.at(-1).kid} added. Sign with it, then delete the old key.`);
    setBusy(addKey, false);
  });

  keysBody.addEventListener('click', async (event) => {
    const kid = event.target.closest('[data-delete-key]')?.dataset.deleteKey;
    if (!kid) return;
    if (!window.confirm(`Delete key ${kid}?\n\nTokens that name it (kid) are refused from now on.`)) return;
    addKey.focus(); // the row, and its button, are about to go
    await keyAction('DELETE', `${base}/jwt/keys/${encodeURIComponent(kid)}`, () => `Key ${kid} deleted: tokens that name it are refused from now on.`);
  });

  const hashSecret = $('#hash-secret');
  const hashReveal = $('#reveal-hash-secret');
  hashReveal.replaceChildren(el('span', {}, 'Reveal'));
  revealer(hashReveal, hashSecret);
  $('#rotate-hash-secret').addEventListener('click', async () => {
    const sure = window.confirm(
      'Rotate the identity hash secret?\n\nHashes made with the current secret keep working for the rotation grace period (24 hours unless the server is set otherwise); move your servers to the new secret within it.',
    );
    if (!sure) return;
    const status = $('#hash-secret-status');
    try {
      const r = await api('POST', `${base}/identity-hash/rotate-secret`);
      if (!r.ok) return say(status, `The secret was not rotated: ${problem(r)}`, true);
      hashSecret.value = r.json.identity_hash.secret;
      const until = r.json.identity_hash.previous_secret_expires_at;
      say(
        status,
        until
          ? `New secret in use. Hashes made with the old one are accepted until ${new Date(until).toLocaleString()}.`
          : 'New secret in use: hashes made with the old one are refused from now on.',
      );
    } catch {
      say(status, `The secret was not rotated: ${unreachable}`, true);
    }
  });
})();
