// The inbox, live: new messages and conversations appear without a reload, agent replies
// and take over / resolve go through the JSON admin API with the page's CSRF token.
// Text from conversations is only ever inserted as text, never as HTML.
(() => {
  const root = document.getElementById('inbox');
  if (!root) return;
  const bot = root.dataset.bot;
  const open = root.dataset.conversation;
  const me = root.dataset.me || 'You';
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
  const thread = document.getElementById('thread');
  const list = document.getElementById('conversations');

  const api = (method, path, body) =>
    fetch(`/api/admin/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  function authorLabel(m) {
    if (m.author === 'agent') return m.author_name || 'Agent';
    return m.author === 'bot' ? 'Bot' : 'Visitor';
  }

  // When a message was written, in this browser's language and time zone (the page comes
  // with UTC times): the time today, the day and time before.
  function stamp(time) {
    const d = new Date(time.dateTime);
    if (Number.isNaN(d.getTime())) return;
    const now = new Date();
    const o = { hour: 'numeric', minute: '2-digit' };
    if (d.toDateString() !== now.toDateString()) {
      Object.assign(o, { month: 'short', day: 'numeric' });
      if (d.getFullYear() !== now.getFullYear()) o.year = 'numeric';
    }
    time.textContent = new Intl.DateTimeFormat(undefined, o).format(d);
  }

  function badge(text, kind) {
    const b = document.createElement('span');
    b.className = `badge ${kind}`;
    b.textContent = text;
    return b;
  }

  // `keepView`: earlier messages go in above what the agent reads, which stays in place.
  function append(m, keepView = false) {
    if (!thread || thread.querySelector(`[data-id="${m.id}"]`)) return;
    const fromBottom = thread.scrollHeight - thread.scrollTop;
    const li = document.createElement('li');
    li.className = `msg ${m.author}`;
    li.dataset.id = m.id;
    const who = document.createElement('span');
    who.className = 'author';
    who.textContent = authorLabel(m);
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = m.text;
    const time = document.createElement('time');
    time.dateTime = m.created_at;
    stamp(time);
    li.append(who, ' ', text, time);
    // In id order: messages merged from a visitor's earlier conversation can be older.
    const later = [...thread.children].find((c) => Number(c.dataset.id) > m.id);
    thread.insertBefore(li, later || null);
    thread.scrollTop = keepView ? thread.scrollHeight - fromBottom : thread.scrollHeight;
  }

  // The conversation list, kept up to date in place: each `conversation` event is one
  // conversation as the list shows it, and a burst of them is applied in one pass after a
  // short pause. The whole list is read only when the event stream (re)opens, as events
  // from before that are not replayed.
  const LIST_LIMIT = 100;
  let listLimit = LIST_LIMIT; // grows with each older page shown
  const PAUSE_MS = 150;
  const THREAD_PAGE = 200; // messages a read of a thread gives at most
  const pending = new Map();
  let pause = 0;
  let reading = false;
  let handlerEvents = 0; // of the open conversation, heard so far

  const rank = (handledBy, priority) => (handledBy !== 'waiting' ? 2 : priority === 'high' ? 0 : 1);
  // Which of two states of a conversation is newer: the one with the later message, then
  // the later change. Events of one conversation can arrive out of order (two writers
  // announcing at once), and an older one must not undo a newer.
  const version = (d) => [Number(d.last), Date.parse(d.updated)];
  const older = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

  function fill(a, item) {
    a.href = `/inbox?bot=${encodeURIComponent(bot)}&c=${encodeURIComponent(item.conversation_id)}`;
    Object.assign(a.dataset, {
      id: item.conversation_id,
      rank: rank(item.handled_by, item.priority),
      updated: item.updated_at,
      last: item.last_message_id,
    });
    if (item.conversation_id === open) a.setAttribute('aria-current', 'true');
    const who = document.createElement('span');
    who.className = 'conv-who';
    who.textContent = item.contact_name || item.contact_email || item.contact_identifier || 'Visitor';
    const last = document.createElement('span');
    last.className = 'conv-last';
    last.textContent = item.last_text;
    const badges = document.createElement('span');
    badges.className = 'conv-badges';
    if (item.handled_by === 'waiting') badges.append(badge('Waiting', 'warn'));
    if (item.priority === 'high') badges.append(badge('High priority', 'bad'));
    if (item.handled_by === 'agent') badges.append(badge(`${item.agent_name || 'A person'} is answering`, 'agent'));
    a.replaceChildren(who, ' ', badges, last);
  }

  const entry = (id) => [...list.querySelectorAll('a[data-id]')].find((a) => a.dataset.id === id);

  function place(item) {
    const shown = entry(item.conversation_id);
    if (shown && older(version({ last: item.last_message_id, updated: item.updated_at }), version(shown.dataset))) return;
    if (shown) {
      // The same element, so that a focused entry keeps the focus.
      fill(shown, item);
      return;
    }
    const a = document.createElement('a');
    fill(a, item);
    const li = document.createElement('li');
    li.append(a);
    list.append(li);
  }

  // Waiting first (high priority before normal), then the others; each most recently active
  // first: the server's order. Only entries out of place move.
  function arrange() {
    const key = (li) => li.querySelector('a').dataset;
    const sorted = [...list.children].sort((x, y) => {
      const a = key(x);
      const b = key(y);
      return a.rank - b.rank || Date.parse(b.updated) - Date.parse(a.updated) || (b.id > a.id) - (b.id < a.id);
    });
    sorted.forEach((li, i) => {
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    sorted.slice(listLimit).forEach((li) => li.remove());
    document.getElementById('no-conversations').hidden = list.children.length > 0;
  }

  function apply() {
    pause = 0;
    if (reading) return;
    pending.forEach(place);
    pending.clear();
    arrange();
  }

  function listed(item) {
    pending.set(item.conversation_id, item);
    if (!pause) pause = setTimeout(apply, PAUSE_MS);
  }

  let reads = 0; // of the whole list: an older page asked for before the last one is dropped
  async function readList() {
    reads += 1;
    reading = true;
    pending.clear();
    const heard = handlerEvents;
    try {
      const res = await api('GET', `/bots/${bot}/conversations`);
      if (!res.ok) return;
      const { items, next_cursor: next } = await res.json();
      list.replaceChildren();
      listLimit = LIST_LIMIT;
      olderButton.hidden = !next;
      items.forEach(place);
      // Who answers, unless an event said so while the list was on its way: it is newer.
      const shown = items.find((item) => item.conversation_id === open);
      if (shown && heard === handlerEvents) showHandler(shown.handled_by, shown.agent_name, shown.priority);
    } finally {
      reading = false;
      apply();
    }
  }

  // Older conversations, a page at a time, after the last one shown (its place in the
  // list's order is the cursor, so that one trimmed or moved meanwhile is not skipped).
  const olderButton = document.getElementById('older-conversations');
  olderButton.addEventListener('click', async () => {
    const last = [...list.querySelectorAll('a[data-id]')].pop()?.dataset;
    if (!last) return;
    const cursor = `${last.rank}.${Date.parse(last.updated)}.${last.id}`;
    const asked = reads;
    const res = await api('GET', `/bots/${bot}/conversations?before=${encodeURIComponent(cursor)}`);
    if (!res.ok) return;
    const { items, next_cursor: next } = await res.json();
    if (asked !== reads || reading) return; // the list was read again meanwhile: it starts over
    listLimit = list.children.length + items.length;
    items.forEach(place);
    arrange();
    olderButton.hidden = !next;
  });

  // Earlier messages of a long conversation, a page at a time, above the first shown.
  const earlierButton = document.getElementById('earlier-messages');
  earlierButton?.addEventListener('click', async () => {
    const first = thread.querySelector('li[data-id]')?.dataset.id;
    if (!first) return;
    const res = await api('GET', `/conversations/${encodeURIComponent(open)}/messages?before=${first}`);
    if (!res.ok) return;
    const { items } = await res.json();
    items.reverse().forEach((m) => append(m, true));
    if (items.length < THREAD_PAGE) {
      // Said in the button's place, so that nothing the agent reads moves.
      earlierButton.disabled = true;
      earlierButton.textContent = 'Start of the conversation';
      thread.focus();
    }
  });

  // Who answers the open conversation: the bot, nobody yet (waiting), or a named person.
  function showHandler(handledBy, agentName, priority) {
    const status = document.getElementById('handler');
    if (!status) return;
    const focused = document.activeElement;
    // A refused take-over said who answered then; once nobody does, it is stale.
    const error = document.getElementById('reply-error');
    if (handledBy !== 'agent' && error.dataset.about === 'handler') error.hidden = true;
    status.className = `small handler ${handledBy}`;
    status.textContent =
      handledBy === 'agent'
        ? `${agentName || 'A person'} is answering.`
        : handledBy === 'waiting'
          ? 'Waiting for a person — the bot is silent.'
          : 'The bot is answering.';
    document.getElementById('take-over').hidden = handledBy === 'agent';
    document.getElementById('hand-back').hidden = handledBy === 'bot';
    if (priority) document.getElementById('priority').hidden = priority !== 'high';
    // A button that hides itself with the focus on it (pressed here, or the conversation
    // changed hands elsewhere) hands the focus on to where the work continues: the reply
    // box while a person answers, else the button that takes over again. Not to the page.
    if (focused?.hidden) {
      const takeOver = document.getElementById('take-over');
      (handledBy === 'agent' || takeOver.hidden ? document.getElementById('reply-text') : takeOver).focus();
    }
  }

  // The open conversation's newest messages, as the server has them; those shown already
  // stay as they are.
  async function readThread() {
    if (!thread) return;
    const res = await api('GET', `/conversations/${encodeURIComponent(open)}/messages`);
    if (!res.ok) return;
    const { items } = await res.json();
    items.forEach((m) => append(m));
  }

  // Events from before the stream (re)opened are not replayed: what happened before it
  // opened (the page was rendered, the stream dropped, the server restarted) is read
  // again, the list and the open conversation both, who answers it included.
  const events = new EventSource(`/api/admin/v1/bots/${encodeURIComponent(bot)}/events`);
  events.addEventListener('open', () => Promise.all([readList(), readThread()]));
  events.addEventListener('conversation', (e) => listed(JSON.parse(e.data)));
  events.addEventListener('message', (e) => {
    const data = JSON.parse(e.data);
    if (data.conversation_id === open) append(data.message);
  });
  events.addEventListener('handler', (e) => {
    const data = JSON.parse(e.data);
    if (data.conversation_id !== open) return;
    handlerEvents += 1;
    showHandler(data.handled_by, data.agent_name, data.priority);
  });
  // A visitor signed in and their anonymous conversation joined the contact's: show the
  // contact's conversation, where its messages now are.
  events.addEventListener('merged', (e) => {
    const data = JSON.parse(e.data);
    if (data.from === open) {
      location.replace(`/inbox?bot=${encodeURIComponent(bot)}&c=${encodeURIComponent(data.into)}`);
      return;
    }
    if (data.into === open) data.messages.forEach((m) => append(m));
    pending.delete(data.from);
    entry(data.from)?.parentElement.remove();
  });
  events.addEventListener('resync', () => location.reload());

  const form = document.getElementById('reply');
  let sending = false;
  form?.addEventListener('submit', async (e) => {
    e.preventDefault();
    const box = document.getElementById('reply-text');
    const error = document.getElementById('reply-error');
    const text = box.value.trim();
    // One reply at a time: Enter pressed twice on a slow link sends it once.
    if (!text || sending) return;
    sending = true;
    const res = await api('POST', `/conversations/${open}/messages`, { text }).finally(() => {
      sending = false;
    });
    if (res.ok) {
      box.value = '';
      error.hidden = true;
      delete error.dataset.about;
      const message = await res.json();
      append(message);
      showHandler('agent', message.author_name || me);
    } else {
      const body = await res.json().catch(() => ({}));
      error.textContent = body.error?.message || 'The reply could not be sent.';
      error.hidden = false;
      error.dataset.about = 'reply';
    }
  });
  document.getElementById('reply-text')?.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  async function setHandler(action) {
    const error = document.getElementById('reply-error');
    const res = await api('POST', `/conversations/${open}/${action}`);
    if (res.ok) {
      if (error.dataset.about === 'handler') error.hidden = true;
      const c = await res.json();
      showHandler(c.handled_by, c.agent_name, c.priority);
      return;
    }
    // Refused (a colleague took it a moment ago, say): say why, and show who answers now.
    const body = await res.json().catch(() => ({}));
    error.textContent = body.error?.message || 'That did not work; try again.';
    error.hidden = false;
    error.dataset.about = 'handler';
    await readList();
  }
  document.getElementById('take-over')?.addEventListener('click', () => setHandler('takeover'));
  document.getElementById('hand-back')?.addEventListener('click', () => setHandler('handback'));
  thread?.querySelectorAll('time[datetime]').forEach(stamp);
  if (thread) thread.scrollTop = thread.scrollHeight;
})();
