// The Identity page beyond the seed's Custom Authentication call (which custom-auth.js
// keeps): the mode that identifies the bot's visitors, the other modes' settings (saved
// with the fields every mode shares through PUT /identity), and the testing panel for those
// modes. Their keys are identity-keys.js's.
// Plain JavaScript, no dependency. Data from the server is only ever inserted with
// textContent, never as HTML.
(() => {
  'use strict';

  const {
    $, $$, el, api, problem, busy, setBusy, pretty: prettyText, headerTable, alert: alertBox, clearFieldErrors, say,
    unreachable,
  } = window.conciergeDashboard;
  const modeCard = $('#mode-card');
  if (!modeCard) return;

  const form = $('#ca-form');
  const grid = $('.ca-grid');
  const base = `/api/admin/v1/bots/${encodeURIComponent(grid.dataset.botId)}/identity`;
  const saveStatus = $('#save-status');
  const formAlert = $('#form-alert');
  const testButton = $('#send-test');
  const result = $('#test-result');
  const radios = $$('input[name=mode]', modeCard);
  const LABEL = Object.fromEntries(radios.map((r) => [r.value, $(`label[for="${r.id}"] .mode-name`).textContent.replace(' (default)', '')]));
  const HASHED = { id: ['user_id', 'data-user-id'], email: ['email', 'data-email'], phone_number: ['phone_number', 'data-phone-number'] };
  const METHOD_LABEL = { id: 'Id', email: 'Email', phone_number: 'Phone number' };
  const CLAIMS = ['id', 'email', 'name', 'phone_number', 'metadata'];

  // What is saved: the mode that identifies visitors, whether identification is on, and
  // the identify method (the testing panel tries these).
  let active = grid.dataset.mode;
  let enabled = $('#enabled').checked;
  let savedMethod = $('#identify_method').value;
  const selected = () => radios.find((r) => r.checked).value;

  // -------------------------------------------------------------------------------------
  // Each mode's settings as the PUT body spells them

  const input = (name) => form.elements[name];
  const text = (name) => input(name).value.trim() || null;
  const whole = (name) => (input(name).value.trim() === '' ? null : Number(input(name).value));
  const SETTINGS = {
    jwt: () => ({
      algorithms: $$('input[name="jwt.algorithms"]:checked', form).map((i) => i.value),
      jwks_url: text('jwt.jwks_url'),
      issuer: text('jwt.issuer'),
      audience: text('jwt.audience'),
      max_lifetime_secs: whole('jwt.max_lifetime_secs'),
      leeway_secs: whole('jwt.leeway_secs'),
      claims: Object.fromEntries(CLAIMS.map((c) => [c, text(`jwt.claims.${c}`)])),
    }),
    oidc_userinfo: () => ({
      issuer: text('oidc_userinfo.issuer'),
      require_email_verified: input('oidc_userinfo.require_email_verified').checked,
      timeout_ms: whole('oidc_userinfo.timeout_ms'),
    }),
    introspection: () => ({
      endpoint: text('introspection.endpoint'),
      issuer: text('introspection.issuer'),
      client_id: text('introspection.client_id'),
      client_secret: input('introspection.client_secret').value || null,
      auth_method: input('introspection.auth_method').value,
      required_scope: text('introspection.required_scope'),
      token_client_id: text('introspection.token_client_id'),
      timeout_ms: whole('introspection.timeout_ms'),
    }),
  };
  const WHOLE = { 'jwt.max_lifetime_secs': 'seconds', 'jwt.leeway_secs': 'seconds', 'oidc_userinfo.timeout_ms': 'milliseconds', 'introspection.timeout_ms': 'milliseconds' };
  const snapshot = (mode) => JSON.stringify(SETTINGS[mode]?.() ?? null);
  let saved = Object.fromEntries(Object.keys(SETTINGS).map((m) => [m, snapshot(m)]));

  /** The form shows the stored settings of every mode (after a save, normalised). */
  function fill(dto) {
    const set = (name, value) => (input(name).value = value ?? '');
    for (const box of $$('input[name="jwt.algorithms"]', form)) box.checked = dto.jwt.algorithms.includes(box.value);
    for (const f of ['jwks_url', 'issuer', 'audience', 'max_lifetime_secs', 'leeway_secs']) set(`jwt.${f}`, dto.jwt[f]);
    for (const c of CLAIMS) set(`jwt.claims.${c}`, dto.jwt.claims[c]);
    set('oidc_userinfo.issuer', dto.oidc_userinfo.issuer);
    set('oidc_userinfo.timeout_ms', dto.oidc_userinfo.timeout_ms);
    input('oidc_userinfo.require_email_verified').checked = dto.oidc_userinfo.require_email_verified;
    for (const f of ['endpoint', 'issuer', 'client_id', 'auth_method', 'required_scope', 'token_client_id', 'timeout_ms']) set(`introspection.${f}`, dto.introspection[f]);
    const secret = input('introspection.client_secret');
    secret.value = '';
    secret.placeholder = dto.introspection.client_secret_set ? '•••••• (stored)' : '';
    $('#introspection-client_secret-hint').textContent = dto.introspection.client_secret_set
      ? 'Stored, never shown. Leave empty to keep it.'
      : 'None stored yet.';
    // identity-keys.js shows the keys it holds.
    document.dispatchEvent(new CustomEvent('concierge:identity', { detail: dto }));
    saved = Object.fromEntries(Object.keys(SETTINGS).map((m) => [m, snapshot(m)]));
  }

  // -------------------------------------------------------------------------------------
  // The chosen mode: which parts of the page show, and whether it is the one in use

  const modeStatus = $('#mode-status');
  function update() {
    const mode = selected();
    form.dataset.editing = mode;
    for (const part of $$('[data-mode-part]')) part.hidden = !part.dataset.modePart.split(' ').includes(mode);
    const hint = mode === 'custom_auth' ? 'identify_method-hint' : `identify_method-${mode}-hint`;
    $('#identify_method').setAttribute('aria-describedby', `${hint} identify_method-error`);
    const [field, attr] = HASHED[$('#identify_method').value];
    for (const c of $$('[data-hash-field]')) c.textContent = field;
    for (const c of $$('[data-hash-attr]')) c.textContent = attr;
    for (const r of radios) {
      const badge = $('[data-in-use]', r.closest('.mode-option'));
      badge.hidden = r.value !== active;
      badge.textContent = enabled ? 'In use' : 'Chosen, but switched off';
      badge.className = `badge ${enabled ? 'good' : 'warn'}`;
    }
    const pending = mode !== active;
    modeStatus.classList.toggle('pending', pending);
    modeStatus.classList.toggle('off', !pending && !enabled);
    const status = pending
      ? enabled
        ? `Not in use yet: visitors are still identified by ${LABEL[active]}. Save the settings below to switch to ${LABEL[mode]}.`
        : `Not saved yet: ${LABEL[active]} is still the chosen way. Save the settings below to choose ${LABEL[mode]}.`
      : enabled
        ? `Visitors are identified by ${LABEL[active]}.`
        : `Identification is switched off (Enabled, below): every visitor chats anonymously.`;
    // A live region: said again only when it changes, not at every key typed in the form.
    if (modeStatus.textContent !== status) modeStatus.textContent = status;
    const switchHint = $('#switch-hint');
    switchHint.hidden = !pending;
    switchHint.textContent = pending ? `Saving also switches how visitors are identified to ${LABEL[mode]}.` : '';
    const dirty = pending || (mode in SETTINGS && snapshot(mode) !== saved[mode]);
    form.dataset.identityDirty = String(dirty);
  }
  // In the capture phase, so that the flag is set before custom-auth.js looks at it.
  form.addEventListener('input', update, true);
  form.addEventListener('change', update, true);
  modeCard.addEventListener('change', () => {
    update();
    form.dispatchEvent(new Event('change')); // custom-auth.js: the test button and its hint
  });

  /** The testing panel tries the saved mode: its inputs follow it. */
  function updateTestPanel() {
    for (const part of $$('[data-test-part]')) part.hidden = !part.dataset.testPart.split(' ').includes(active);
    const token = $('#test-access_token');
    token.setAttribute('aria-describedby', active === 'custom_auth' ? 'test-access_token-error' : 'test-token-hint test-access_token-error');
    token.placeholder = active === 'custom_auth' ? 'A real token of your site' : active === 'jwt' ? 'eyJhbGciOi…' : 'An access token';
    const [field, attr] = HASHED[savedMethod];
    for (const c of $$('[data-hash-field-saved]')) c.textContent = field;
    for (const c of $$('[data-hash-attr-saved]')) c.textContent = attr;
  }

  /** After a save through /identity: what is stored now. */
  function adopt(dto) {
    const modeChanged = dto.mode !== active;
    active = dto.mode;
    enabled = dto.enabled;
    savedMethod = dto.identify_method;
    grid.dataset.mode = active;
    fill(dto);
    update();
    updateTestPanel();
    if (modeChanged) result.replaceChildren();
    form.dispatchEvent(new Event('identity:saved'));
  }

  // -------------------------------------------------------------------------------------
  // Saving: the other modes here; the Custom Authentication call by custom-auth.js, which
  // says when it saved, so that the call can then become the mode in use.

  const clearErrors = () => clearFieldErrors(form, formAlert);

  /** Shows each `{field, message}` next to its input (`jwt.jwks_url` → its input); returns the rest. */
  function showErrors(fields) {
    const leftover = [];
    let first = null;
    for (const { field, message } of fields) {
      const p = $(`[data-error-for="${CSS.escape(field)}"]`, form);
      if (!p || p.parentElement.closest('[hidden]')) {
        leftover.push(message);
        continue;
      }
      p.textContent = p.hidden ? message : `${p.textContent} ${message}`;
      p.hidden = false;
      const target = $(`[name="${CSS.escape(field)}"]`, form);
      target?.setAttribute('aria-invalid', 'true');
      first ??= target ?? p;
    }
    first?.focus?.();
    return leftover;
  }

  function refused(r, prefix) {
    const fields = r.status === 422 && Array.isArray(r.json?.error?.fields) ? r.json.error.fields : null;
    const leftover = fields ? showErrors(fields) : [problem(r)];
    formAlert.textContent = [prefix, ...leftover].join(' ');
    formAlert.hidden = false;
    say(saveStatus, '');
  }

  form.addEventListener('submit', async (event) => {
    const mode = selected();
    if (mode === 'custom_auth') return;
    event.preventDefault();
    clearErrors();
    const body = {
      mode,
      enabled: $('#enabled').checked,
      identify_method: $('#identify_method').value,
      on_failure: $('input[name=on_failure]:checked', form)?.value ?? 'anonymous',
    };
    if (mode in SETTINGS) body[mode] = SETTINGS[mode]();
    const fractions = Object.entries(WHOLE)
      .filter(([name]) => name.startsWith(`${mode}.`) && !Number.isInteger(whole(name) ?? 0))
      .map(([field, unit]) => ({ field, message: `Enter a whole number of ${unit}.` }));
    if (fractions.length) return refused({ status: 422, json: { error: { fields: fractions } } }, 'Nothing was saved: fix the fields marked below.');
    const button = $('#save');
    if (busy(button)) return;
    setBusy(button, true);
    say(saveStatus, 'Saving…');
    try {
      const r = await api('PUT', base, body);
      if (!r.ok) return refused(r, 'Nothing was saved: fix the fields marked below.');
      adopt(r.json);
      say(saveStatus, 'Saved');
    } catch {
      refused({ status: 0, json: { error: { message: unreachable } } }, 'Nothing was saved:');
    } finally {
      setBusy(button, false);
    }
  });

  form.addEventListener('custom-auth:saved', async (event) => {
    enabled = event.detail.enabled;
    savedMethod = event.detail.identify_method;
    if (active === 'custom_auth') {
      update();
      return updateTestPanel();
    }
    const was = LABEL[active];
    try {
      const r = await api('PUT', base, { mode: 'custom_auth' });
      // What the call lacks to become the mode (its URL) is said next to that field.
      for (const f of r.json?.error?.fields ?? []) if (f.field === 'mode') f.field = 'url';
      if (!r.ok) return refused(r, `The settings were saved, but visitors are still identified by ${was}.`);
      adopt(r.json);
      say(saveStatus, `Saved: visitors are now identified by ${LABEL.custom_auth}.`);
    } catch {
      refused({ status: 0, json: { error: { message: unreachable } } }, `The settings were saved, but visitors are still identified by ${was}:`);
    }
  });

  // -------------------------------------------------------------------------------------
  // The testing panel for the modes other than the call

  const pretty = (value) => JSON.stringify(value, null, 2);

  /** `exp`, `iat` and `nbf` of a token's claims in the reader's time, and how far away. */
  function times(claims) {
    const list = el('dl', { className: 'facts times' });
    for (const [claim, term] of [['iat', 'Issued (iat)'], ['nbf', 'Not before (nbf)'], ['exp', 'Expires (exp)']]) {
      const at = new Date(claims?.[claim] * 1000);
      if (typeof claims?.[claim] !== 'number' || !Number.isFinite(at.getTime())) continue;
      const off = Math.round(claims[claim] - Date.now() / 1000);
      const [n, unit] = [[Math.abs(off), 's'], [Math.abs(off) / 60, 'min'], [Math.abs(off) / 3600, 'h'], [Math.abs(off) / 86400, 'days']]
        .find(([v], i, all) => i === all.length - 1 || v < [90, 90, 48][i]);
      const far = `${Math.round(n)} ${unit}`;
      list.append(el('dt', {}, term), el('dd', {}, el('time', { dateTime: at.toISOString() }, at.toLocaleString()), ` (${off >= 0 ? `in ${far}` : `${far} ago`})`));
    }
    return list.children.length ? list : null;
  }

  function render(dto) {
    const verdict = el(
      'div',
      { className: `verdict ${dto.ok ? 'ok' : 'bad'}` },
      dto.ok ? el('strong', {}, '✓ Authenticated') : el('strong', {}, '✗ Not authenticated: ', el('code', {}, dto.outcome.code)),
      el('p', {}, dto.outcome.message),
    );
    const facts = el('dl', { className: 'facts' });
    const fact = (term, ...value) => facts.append(el('dt', {}, term), el('dd', {}, ...value));
    fact('Mode', LABEL[dto.mode] ?? dto.mode);
    if (dto.identifier) fact(`Identifier (${METHOD_LABEL[dto.identify_method] ?? dto.identify_method})`, dto.identifier);
    if (dto.contact?.status === 'existing') {
      const link = el('a', { href: `/contacts/${encodeURIComponent(dto.contact.contact_id)}` }, 'open the contact');
      fact('Contact', 'Matches an existing contact: ', link);
    } else if (dto.contact?.status === 'new') {
      fact('Contact', 'No contact has this identifier yet: a sign-in would create a new contact.');
    }
    if (dto.request) fact('Duration', `${dto.duration_ms} ms`);
    const parts = [verdict, facts];
    if (dto.token) {
      const decoded = (value) => el('pre', {}, value ? pretty(value) : '(does not decode)');
      parts.push(
        el('section', { className: 'token' }, el('h3', {}, 'Token'), el('p', { className: 'token-verdict' }, dto.token.verdict),
          el('h4', {}, 'Header'), decoded(dto.token.header), el('h4', {}, 'Claims'), decoded(dto.token.claims), times(dto.token.claims)),
      );
    }
    if (dto.request) {
      const sent = el('section', {}, el('h3', {}, 'Request sent'), el('p', { className: 'line' }, el('code', {}, `${dto.request.method} ${dto.request.url}`)), headerTable(dto.request.headers));
      if (dto.request.body) sent.append(el('pre', {}, prettyText(dto.request.body)));
      const response = el('section', {}, el('h3', {}, 'Response'));
      if (dto.response) {
        response.append(
          el('p', { className: 'line' }, el('code', {}, `Status ${dto.response.status}`)),
          headerTable(dto.response.headers),
          el('pre', {}, dto.response.body === '' ? '(empty body)' : prettyText(dto.response.body)),
        );
        if (dto.response.truncated) response.append(el('p', { className: 'hint' }, 'Only the first 64 KiB are shown.'));
      } else {
        response.append(el('p', { className: 'hint' }, 'No response was received.'));
      }
      parts.push(sent, response);
    }
    result.replaceChildren(...parts);
  }

  const TEST_INPUT = { access_token: '#test-access_token', user_hash: '#test-user_hash', user_id: '#test-hash-identifier', email: '#test-hash-identifier', phone_number: '#test-hash-identifier' };
  $('#test-form').addEventListener('submit', async (event) => {
    if (active === 'custom_auth') return; // custom-auth.js
    event.preventDefault();
    if (testButton.disabled || busy(testButton)) return;
    for (const p of $$('#test-form .field-error')) p.hidden = true;
    for (const i of $$('#test-form [aria-invalid]')) i.removeAttribute('aria-invalid');
    const body = {};
    if (active === 'identity_hash') {
      body[HASHED[savedMethod][0]] = $('#test-hash-identifier').value.trim();
      body.user_hash = $('#test-user_hash').value.trim();
    } else {
      body.access_token = $('#test-access_token').value.trim();
    }
    setBusy(testButton, true);
    const label = testButton.textContent;
    testButton.textContent = 'Checking…';
    try {
      const r = await api('POST', `${base}/test`, body);
      if (r.ok) return render(r.json);
      const misplaced = [];
      for (const { field, message } of r.json?.error?.fields ?? []) {
        const target = $(TEST_INPUT[field] ?? '#no-such-input');
        const error = target && $(`#${target.id}-error`);
        if (!error) {
          misplaced.push(message);
          continue;
        }
        error.textContent = message;
        error.hidden = false;
        target.setAttribute('aria-invalid', 'true');
        target.focus();
      }
      const fieldsShown = r.json?.error?.fields?.length && !misplaced.length;
      result.replaceChildren(...(fieldsShown ? [] : [alertBox(misplaced.join(' ') || problem(r))]));
    } catch {
      result.replaceChildren(alertBox(`The test was not run: ${unreachable}`));
    } finally {
      testButton.textContent = label;
      setBusy(testButton, false);
    }
  });

  update();
  updateTestPanel();
})();
