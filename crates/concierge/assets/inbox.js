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

  function append(m) {
    if (!thread || thread.querySelector(`[data-id="${m.id}"]`)) return;
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
    thread.scrollTop = thread.scrollHeight;
  }

  async function refreshList() {
    const res = await api('GET', `/bots/${bot}/conversations`);
    if (!res.ok) return;
    const { items } = await res.json();
    list.replaceChildren(
      ...items.map((item) => {
        const a = document.createElement('a');
        a.href = `/inbox?bot=${encodeURIComponent(bot)}&c=${encodeURIComponent(item.conversation_id)}`;
        a.dataset.id = item.conversation_id;
        if (item.conversation_id === open) a.setAttribute('aria-current', 'true');
        const who = document.createElement('span');
        who.className = 'conv-who';
        who.textContent = item.contact_name || item.contact_email || 'Visitor';
        const last = document.createElement('span');
        last.className = 'conv-last';
        last.textContent = item.last_text;
        const badges = document.createElement('span');
        badges.className = 'conv-badges';
        if (item.handled_by === 'waiting') badges.append(badge('Waiting', 'warn'));
        if (item.priority === 'high') badges.append(badge('High priority', 'bad'));
        if (item.handled_by === 'agent') badges.append(badge(`${item.agent_name || 'A person'} is answering`, 'agent'));
        a.append(who, ' ', badges, last);
        const li = document.createElement('li');
        li.append(a);
        return li;
      }),
    );
    document.getElementById('no-conversations').hidden = items.length > 0;
  }

  // Who answers the open conversation: the bot, nobody yet (waiting), or a named person.
  function showHandler(handledBy, agentName, priority) {
    const status = document.getElementById('handler');
    if (!status) return;
    const focused = document.activeElement;
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

  const events = new EventSource(`/api/admin/v1/bots/${encodeURIComponent(bot)}/events`);
  events.addEventListener('message', (e) => {
    const data = JSON.parse(e.data);
    if (data.conversation_id === open) append(data.message);
    refreshList();
  });
  events.addEventListener('handler', (e) => {
    const data = JSON.parse(e.data);
    if (data.conversation_id === open) showHandler(data.handled_by, data.agent_name, data.priority);
    refreshList();
  });
  // A visitor signed in and their anonymous conversation joined the contact's: show the
  // contact's conversation, where its messages now are.
  events.addEventListener('merged', (e) => {
    const data = JSON.parse(e.data);
    if (data.from === open) {
      location.replace(`/inbox?bot=${encodeURIComponent(bot)}&c=${encodeURIComponent(data.into)}`);
      return;
    }
    if (data.into === open) data.messages.forEach(append);
    refreshList();
  });
  events.addEventListener('resync', () => location.reload());

  const form = document.getElementById('reply');
  form?.addEventListener('submit', async (e) => {
    e.preventDefault();
    const box = document.getElementById('reply-text');
    const error = document.getElementById('reply-error');
    const text = box.value.trim();
    if (!text) return;
    const res = await api('POST', `/conversations/${open}/messages`, { text });
    if (res.ok) {
      box.value = '';
      error.hidden = true;
      const message = await res.json();
      append(message);
      showHandler('agent', message.author_name || me);
    } else {
      const body = await res.json().catch(() => ({}));
      error.textContent = body.error?.message || 'The reply could not be sent.';
      error.hidden = false;
    }
  });
  document.getElementById('reply-text')?.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  async function setHandler(action) {
    const res = await api('POST', `/conversations/${open}/${action}`);
    if (!res.ok) return;
    const c = await res.json();
    showHandler(c.handled_by, c.agent_name, c.priority);
    refreshList();
  }
  document.getElementById('take-over')?.addEventListener('click', () => setHandler('takeover'));
  document.getElementById('hand-back')?.addEventListener('click', () => setHandler('handback'));
  thread?.querySelectorAll('time[datetime]').forEach(stamp);
  if (thread) thread.scrollTop = thread.scrollHeight;
})();
