// The Identity page's Custom Authentication call (the seed's): the settings form (saved
// through the JSON admin API), the signing secret and the testing panel. Runs after
// bot-pages.js, whose helpers it uses, and before identity.js.
// Plain JavaScript, no dependency. Data from the server or the customer's API is only ever
// inserted with textContent, never as HTML.
(() => {
  'use strict';

  const { $, $$, el, api, problem, busy, setBusy, pretty, headerTable, alert, clearFieldErrors } =
    window.conciergeDashboard;
  const form = $('#ca-form');
  if (!form) return;
  const botId = $('.ca-grid').dataset.botId;
  const base = `/api/admin/v1/bots/${encodeURIComponent(botId)}/custom-auth`;

  // -------------------------------------------------------------------------------------
  // The settings form

  const headerRows = $('#header-rows');
  const testButton = $('#send-test');
  const dirtyHint = $('#test-dirty');
  const saveStatus = $('#save-status');
  const formAlert = $('#form-alert');

  /** The PUT body the form stands for. */
  function collect() {
    const headers = {};
    for (const row of $$('.header-row', headerRows)) {
      const name = $('[data-h=name]', row).value.trim();
      const value = $('[data-h=value]', row).value;
      if (!name && !value) continue;
      // An empty value on a row that was saved keeps the stored (write-only) value.
      headers[name] = value === '' && row.dataset.stored ? null : value;
    }
    const timeout = $('#timeout_ms').value.trim();
    const cacheTtl = $('#cache_ttl_secs').value.trim();
    return {
      enabled: $('#enabled').checked,
      url: $('#url').value.trim(),
      additional_fields: $$('input[name=additional_fields]:checked', form).map((i) => i.value),
      identify_method: $('#identify_method').value,
      timeout_ms: timeout === '' ? null : Number(timeout),
      cache_ttl_secs: cacheTtl === '' ? 0 : Number(cacheTtl),
      on_failure: $('input[name=on_failure]:checked', form)?.value ?? 'anonymous',
      // The allowed origins are the Settings page's: left out, the stored list stays.
      headers,
    };
  }

  let saved = JSON.stringify(collect());
  // identity.js marks the form dirty for the other identity modes' changes, and says when
  // it saved the fields they share (enabled, identify method, on failure).
  const isDirty = () => JSON.stringify(collect()) !== saved || form.dataset.identityDirty === 'true';

  function refresh() {
    const dirty = isDirty();
    testButton.disabled = dirty;
    dirtyHint.hidden = !dirty;
    if (dirty) saveStatus.textContent = '';
    const method = $('#identify_method').value;
    for (const row of $$('#identify-table tbody tr')) row.classList.toggle('current', row.dataset.method === method);
    $('[data-when-off]').hidden = $('#enabled').checked;
    const ticked = new Set($$('input[name=additional_fields]:checked', form).map((i) => i.value));
    for (const f of $$('[data-test-field]')) f.hidden = !ticked.has(f.dataset.testField);
    $('#test-fields-hint').hidden = ticked.size > 0;
  }
  form.addEventListener('input', refresh);
  form.addEventListener('change', refresh);
  form.addEventListener('identity:saved', () => {
    saved = JSON.stringify(collect());
    refresh();
  });

  function addHeaderRow() {
    const row = $('#header-row-template').content.firstElementChild.cloneNode(true);
    headerRows.append(row);
    $('[data-h=name]', row).focus();
    refresh();
  }
  $('#add-header').addEventListener('click', addHeaderRow);
  headerRows.addEventListener('click', (event) => {
    const remove = event.target.closest('[data-remove-header]');
    if (!remove) return;
    const row = remove.closest('.header-row');
    // Keep the keyboard focus somewhere sensible once the row is gone.
    const next = row.nextElementSibling ? $('[data-h=name]', row.nextElementSibling) : $('#add-header');
    row.remove();
    next.focus();
    refresh();
  });

  const clearErrors = () => clearFieldErrors(form, formAlert);

  /** Shows each `{field, message}` next to its input; returns what has no place in the form. */
  function showErrors(fields) {
    const leftover = [];
    let first = null;
    const put = (p, message, input) => {
      p.textContent = p.hidden ? message : `${p.textContent} ${message}`;
      p.hidden = false;
      if (input) input.setAttribute('aria-invalid', 'true');
      first ??= input ?? p;
    };
    for (const { field, message } of fields) {
      if (field.startsWith('headers.')) {
        const name = field.slice('headers.'.length);
        const row = $$('.header-row', headerRows).find((r) => $('[data-h=name]', r).value.trim() === name);
        if (row) {
          const input = $('[data-h=value]', row).value || !name ? $('[data-h=name]', row) : $('[data-h=value]', row);
          put($('[data-error-row]', row), message, input);
          continue;
        }
      }
      const p = $(`[data-error-for="${CSS.escape(field)}"]`, form);
      if (p) {
        const input = form.elements[field];
        put(p, message, input instanceof HTMLElement ? input : null);
      } else {
        leftover.push(message);
      }
    }
    first?.focus?.();
    return leftover;
  }

  /** After a save: the form shows what is stored now, header values masked again. */
  function adopt(dto) {
    $('#url').value = dto.url ?? '';
    $('#timeout_ms').value = dto.timeout_ms;
    $('#cache_ttl_secs').value = dto.cache_ttl_secs;
    for (const row of $$('.header-row', headerRows)) {
      const name = $('[data-h=name]', row).value.trim();
      if (!(name in dto.headers)) {
        row.remove();
        continue;
      }
      row.dataset.stored = name;
      const value = $('[data-h=value]', row);
      value.value = '';
      value.placeholder = '•••••• (unchanged)';
    }
    saved = JSON.stringify(collect());
    refresh();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.dataset.editing !== 'custom_auth') return; // identity.js saves the other modes
    clearErrors();
    const body = collect();
    if (body.timeout_ms !== null && !Number.isInteger(body.timeout_ms)) {
      showErrors([{ field: 'timeout_ms', message: 'Enter a whole number of milliseconds.' }]);
      return;
    }
    const button = $('#save');
    if (busy(button)) return;
    setBusy(button, true);
    saveStatus.classList.remove('bad');
    saveStatus.textContent = 'Saving…';
    try {
      const r = await api('PUT', base, body);
      if (r.ok) {
        adopt(r.json);
        saveStatus.textContent = 'Saved';
        form.dispatchEvent(new CustomEvent('custom-auth:saved', { detail: r.json }));
      } else if (r.status === 422 && Array.isArray(r.json?.error?.fields)) {
        const leftover = showErrors(r.json.error.fields);
        formAlert.textContent = ['Nothing was saved: fix the fields marked below.', ...leftover].join(' ');
        formAlert.hidden = false;
        saveStatus.textContent = '';
      } else {
        formAlert.textContent = `Nothing was saved. ${problem(r)}`;
        formAlert.hidden = false;
        saveStatus.textContent = '';
      }
    } catch {
      formAlert.textContent = 'Nothing was saved: the server could not be reached. Try again.';
      formAlert.hidden = false;
      saveStatus.textContent = '';
    } finally {
      setBusy(button, false);
    }
  });

  // -------------------------------------------------------------------------------------
  // The signing secret

  const secret = $('#secret');
  const reveal = $('#reveal-secret');
  const secretStatus = $('#secret-status');
  reveal.addEventListener('click', () => {
    const show = secret.type === 'password';
    secret.type = show ? 'text' : 'password';
    reveal.textContent = show ? 'Hide' : 'Reveal';
    reveal.setAttribute('aria-pressed', String(show));
  });

  $('#rotate-secret').addEventListener('click', async () => {
    const sure = window.confirm(
      'Rotate the signing secret?\n\nA new secret signs every call from now on. The current one also signs during the grace period, so deploy the new secret on your side before it ends.',
    );
    if (!sure) return;
    secretStatus.classList.remove('bad');
    try {
      const r = await api('POST', `${base}/rotate-secret`);
      if (!r.ok) throw new Error(problem(r));
      secret.value = r.json.signing_secret;
      const previous = $('#previous-secret');
      const expires = r.json.previous_secret_expires_at;
      previous.hidden = !expires;
      if (expires) {
        const time = $('time', previous);
        time.dateTime = expires;
        time.textContent = new Date(expires).toLocaleString();
      }
      secretStatus.textContent = 'New secret created. Deploy it on your side.';
    } catch (e) {
      secretStatus.classList.add('bad');
      secretStatus.textContent = `The secret was not rotated: ${e.message || 'the server could not be reached.'}`;
    }
  });

  $('#cache-clear').addEventListener('click', async () => {
    const status = $('#cache-cleared');
    status.classList.remove('bad');
    try {
      const r = await api('DELETE', `${base}/cache`);
      if (!r.ok) throw new Error(problem(r));
      status.textContent = 'The cache is empty: the next session starts ask your API.';
    } catch (e) {
      status.classList.add('bad');
      status.textContent = `The cache was not emptied: ${e.message || 'the server could not be reached.'}`;
    }
    status.hidden = false;
  });

  for (const t of $$('#previous-secret time')) if (t.dateTime) t.textContent = new Date(t.dateTime).toLocaleString();

  // -------------------------------------------------------------------------------------
  // The testing panel

  const result = $('#test-result');
  const tokenError = $('#test-access_token-error');

  function fact(list, term, ...value) {
    list.append(el('dt', {}, term), el('dd', {}, ...value));
  }

  const METHOD_LABEL = { id: 'Id', email: 'Email', phone_number: 'Phone number' };

  function render(dto) {
    const verdict = el(
      'div',
      { className: `verdict ${dto.ok ? 'ok' : 'bad'}` },
      dto.ok ? el('strong', {}, '✓ Authenticated') : el('strong', {}, '✗ Not authenticated: ', el('code', {}, dto.outcome.code)),
      el('p', {}, dto.outcome.message),
    );
    const facts = el('dl', { className: 'facts' });
    if (dto.identifier) fact(facts, `Identifier (${METHOD_LABEL[dto.identify_method] ?? dto.identify_method})`, dto.identifier);
    if (dto.contact?.status === 'existing') {
      fact(facts, 'Contact', 'Matches an existing contact: ', el('a', { href: `/contacts/${encodeURIComponent(dto.contact.contact_id)}` }, 'open the contact'));
    } else if (dto.contact?.status === 'new') {
      fact(facts, 'Contact', 'No contact has this identifier yet: a sign-in would create a new contact.');
    }
    fact(facts, 'Duration', `${dto.duration_ms} ms`);

    const parts = [verdict, facts];
    if (dto.request) {
      parts.push(
        el(
          'section',
          {},
          el('h3', {}, 'Request sent'),
          el('p', { className: 'line' }, el('code', {}, `${dto.request.method} ${dto.request.url}`)),
          headerTable(dto.request.headers),
          el('pre', {}, pretty(dto.request.body)),
        ),
      );
    }
    const response = el('section', {}, el('h3', {}, 'Response'));
    if (dto.response) {
      response.append(
        el('p', { className: 'line' }, el('code', {}, `Status ${dto.response.status}`)),
        headerTable(dto.response.headers),
        el('pre', {}, dto.response.body === '' ? '(empty body)' : pretty(dto.response.body)),
      );
      if (dto.response.truncated) response.append(el('p', { className: 'hint' }, 'Only the first 64 KiB are shown.'));
    } else {
      response.append(el('p', { className: 'hint' }, 'No response was received.'));
    }
    parts.push(response);
    if (dto.curl) parts.push(replay(dto));
    result.replaceChildren(...parts);
  }

  const MASK = '********';
  /** A word for a POSIX shell, quoted as the server quotes the curl command's words. */
  const shellWord = (word) => `'${word.replaceAll("'", "'\\''")}'`;

  /**
   * "Replay with curl": the command as the server wrote it, static header values masked.
   * "Show header values" asks the server for the real ones (a CSRF-checked call) and puts
   * them in, so the copied command runs as is; they live in this section only, never in
   * the page's markup or the attempt log.
   */
  function replay(dto) {
    const pre = el('pre', { id: 'test-curl' }, dto.curl);
    const copy = el('button', { type: 'button' }, 'Copy');
    copy.dataset.copy = 'test-curl';
    const masked = (dto.request?.headers ?? []).filter((h) => h.value === MASK).map((h) => h.name);
    const head = el('div', { className: 'snippet-head' }, el('h3', {}, 'Replay with curl'));
    const hint = el('p', { className: 'hint' }, 'The signed request, valid for five minutes.');
    const status = el('span', { className: 'status' });
    status.setAttribute('role', 'status');
    if (masked.length) {
      const MASKED = ' Static header values are masked; show them to copy a command that runs as is.';
      const SHOWN = ' It holds your static header values now: keep it to yourself.';
      const note = el('span', {}, MASKED);
      hint.append(note);
      const show = el('button', { type: 'button' }, 'Show header values');
      show.setAttribute('aria-pressed', 'false');
      show.setAttribute('aria-controls', 'test-curl');
      let revealed = null;
      show.addEventListener('click', async () => {
        status.classList.remove('bad');
        status.textContent = '';
        if (show.getAttribute('aria-pressed') === 'true') {
          pre.textContent = dto.curl;
          note.textContent = MASKED;
          show.setAttribute('aria-pressed', 'false');
          show.textContent = 'Show header values';
          return;
        }
        if (revealed === null) {
          if (busy(show)) return;
          setBusy(show, true);
          try {
            const r = await api('POST', `${base}/headers/reveal`);
            if (!r.ok) throw new Error(problem(r));
            // Header names are case-insensitive; the trace has them as sent, in lower case.
            const values = new Map(r.json.headers.map((h) => [h.name.toLowerCase(), h.value]));
            let curl = dto.curl;
            for (const name of masked) {
              const value = values.get(name.toLowerCase());
              // A function, so that `$&` in a value is not a replacement pattern.
              if (value !== undefined) curl = curl.replace(shellWord(`${name}: ${MASK}`), () => shellWord(`${name}: ${value}`));
            }
            revealed = curl;
          } catch (e) {
            status.classList.add('bad');
            status.textContent = `The values could not be shown: ${e.message || 'the server could not be reached.'}`;
            return;
          } finally {
            setBusy(show, false);
          }
        }
        pre.textContent = revealed;
        note.textContent = SHOWN;
        show.setAttribute('aria-pressed', 'true');
        show.textContent = 'Hide header values';
      });
      head.append(el('span', { className: 'snippet-actions' }, show, copy));
    } else {
      head.append(copy);
    }
    return el('section', {}, head, hint, status, pre);
  }

  $('#test-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (isDirty() || $('.ca-grid').dataset.mode !== 'custom_auth') return; // identity.js tests the others
    tokenError.hidden = true;
    $('#test-access_token').removeAttribute('aria-invalid');
    const body = { access_token: $('#test-access_token').value };
    for (const f of $$('[data-test-field]:not([hidden]) input')) if (f.value.trim()) body[f.name] = f.value.trim();
    if (busy(testButton)) return;
    setBusy(testButton, true);
    const label = testButton.textContent;
    testButton.textContent = 'Sending…';
    try {
      const r = await api('POST', `${base}/test`, body);
      if (r.ok) {
        render(r.json);
      } else {
        const fieldError = r.json?.error?.fields?.find((f) => f.field === 'access_token');
        if (fieldError) {
          tokenError.textContent = fieldError.message;
          tokenError.hidden = false;
          $('#test-access_token').setAttribute('aria-invalid', 'true');
          $('#test-access_token').focus();
          result.replaceChildren();
        } else {
          result.replaceChildren(alert(problem(r)));
        }
      }
    } catch {
      result.replaceChildren(alert('The server could not be reached. Try again.'));
    } finally {
      testButton.textContent = label;
      setBusy(testButton, false);
      refresh();
    }
  });

  refresh();
})();
