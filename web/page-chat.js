// Chat: the person talks to the workspace's AI assistant (POST /api/ai/chat,
// read as Server-Sent Events). The answer streams in as text; each tool call
// shows as one line; a write tool's call is a confirmation card the person
// confirms (POST /api/v1/ai/confirm, with their own credentials) or cancels
// (the chat's decline endpoint) before it runs out. Past conversations are
// listed, reopened and deleted through /api/ai/conversations.
import { get, post, del, qs, stream } from './api.js';
import { h, fill, field, notice, refusal, hours, when, uid, busy } from './ui.js';

// Each render has its own state: a turn still streaming into a page the
// person left writes into nodes no longer shown and touches nothing else.
export async function render(main) {
  const chatBox = h('section', { class: 'card chat', 'aria-labelledby': 'chat-h' });
  const listBox = h('section', { class: 'card conversations', 'aria-labelledby': 'convs-h' });
  const s = { conversation: null, running: false, chatBox, listBox };
  s.refreshList = (message) => renderList(s, message);
  main.append(h('h1', { tabindex: '-1' }, 'Chat'), h('div', { class: 'chat-layout' }, chatBox, listBox));
  renderChat(s, null);
  await s.refreshList();
}

// ------------------------------------------------------------ the list

async function renderList(s, message) {
  const box = s.listBox;
  const heading = h('h2', { id: 'convs-h', tabindex: '-1' }, 'Conversations');
  const fresh = h('button', { type: 'button', class: 'secondary' }, 'New conversation');
  fresh.addEventListener('click', () => {
    if (s.running) return;
    s.conversation = null;
    renderChat(s, null);
    markCurrent(s);
    s.chatBox.querySelector('textarea').focus();
  });
  let list;
  try {
    list = await get('/api/ai/conversations' + qs({ limit: 50 }));
  } catch (e) {
    fill(box, heading, fresh, refusal(e));
    return;
  }
  const status = h('div', { class: 'status-slot' }, message);
  const items = list.map((c) => {
    const label = c.title || c.id;
    const open = h('button', { type: 'button', class: 'link conv-open', 'aria-label': `Open conversation: ${label}` }, label);
    const drop = h('button', { type: 'button', class: 'secondary conv-delete', 'aria-label': `Delete conversation: ${label}` }, 'Delete');
    open.addEventListener('click', () => openConversation(s, c.id));
    drop.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'danger' }, 'Delete for good');
      const no = h('button', { type: 'button', class: 'secondary' }, 'Keep it');
      fill(status, h('div', { role: 'group', 'aria-label': `Delete ${label}?` },
        h('p', {}, `Delete the conversation “${label}”? Its messages and cards go with it.`), yes, no));
      no.addEventListener('click', () => { fill(status); drop.focus(); });
      yes.addEventListener('click', () => busy(yes, async () => {
        try {
          await del(`/api/ai/conversations/${encodeURIComponent(c.id)}`);
        } catch (e) {
          fill(status, refusal(e));
          return;
        }
        if (s.conversation === c.id && !s.running) {
          s.conversation = null;
          renderChat(s, null);
        }
        await renderList(s, notice('ok', `Deleted the conversation “${label}”.`));
        box.querySelector('h2').focus();
      }));
      yes.focus();
    });
    return h('li', { dataset: { id: c.id } }, open, h('span', { class: 'muted' }, when(c.updated_at)), drop);
  });
  fill(box, heading, fresh, status, items.length ? h('ul', { class: 'convs', 'aria-label': 'Conversations' }, items)
    : h('p', { class: 'muted' }, 'No conversations yet.'));
  markCurrent(s);
}

function markCurrent(s) {
  for (const li of s.listBox.querySelectorAll('li[data-id]')) {
    const btn = li.querySelector('.conv-open');
    if (li.dataset.id === s.conversation) btn.setAttribute('aria-current', 'true');
    else btn.removeAttribute('aria-current');
  }
}

async function openConversation(s, id) {
  if (s.running) return;
  let c;
  try {
    c = await get(`/api/ai/conversations/${encodeURIComponent(id)}`);
  } catch (e) {
    fill(s.chatBox.querySelector('.status-slot'), refusal(e));
    return;
  }
  s.conversation = c.id;
  const log = renderChat(s, c.title);
  showStored(log, c);
  markCurrent(s);
  s.chatBox.querySelector('h2').focus();
}

// -------------------------------------------------------- the chat box

// The heading, the messages (a log) and the message form; returns the log.
function renderChat(s, title) {
  const heading = h('h2', { id: 'chat-h', tabindex: '-1' }, title || 'New conversation');
  const log = h('div', { class: 'messages', role: 'log', 'aria-label': 'Messages' });
  const msg = field('Message', { tag: 'textarea', rows: 3, maxlength: 16000, required: true },
    'Enter sends; Shift+Enter starts a new line. Nothing changes until you confirm a card.');
  const send = h('button', { type: 'submit' }, 'Send');
  const status = h('div', { class: 'status-slot' });
  const form = h('form', { class: 'ask', 'aria-label': 'Send a message' }, msg.row, send, status);
  form.noValidate = true; // the page says what is missing, in words
  msg.input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = msg.input.value.trim();
    if (!text) {
      fill(status, notice('error', 'Write a message first.'));
      msg.input.focus();
      return;
    }
    if (s.running) return;
    fill(status);
    busy(send, async () => {
      if (await turn(s, log, text, status, heading)) msg.input.value = '';
    }).then(() => msg.input.focus());
  });
  fill(s.chatBox, heading, log, form);
  return log;
}

// One turn: the person's message, then the answer as it streams in. Resolves
// to whether the API took the message.
async function turn(s, log, text, status, heading) {
  s.running = true;
  const mine = bubble(log, 'user', text);
  const answer = bubble(log, 'assistant');
  answer.setAttribute('aria-busy', 'true'); // announced once complete, not piece by piece
  const body = answer.querySelector('.msg-body');
  const view = answerView(s, body);
  const wasNew = !s.conversation;
  let started = false, ended = false;
  try {
    await stream('/api/ai/chat', { message: text, conversation_id: s.conversation ?? undefined }, (name, data) => {
      if (name === 'conversation') {
        started = true;
        s.conversation = data.id;
        if (wasNew) heading.textContent = text.length > 60 ? `${text.slice(0, 59)}…` : text;
      } else if (name === 'done') {
        ended = true;
        if (data.stop_reason === 'length' || data.stop_reason === 'tool_rounds') {
          body.append(notice('error', data.stop_reason === 'length'
            ? 'The answer was cut short: the model reached its length limit.'
            : 'The assistant stopped after the most tool calls a turn may make; ask again to go on.'));
        }
      } else if (name === 'error') {
        ended = true;
        body.append(turnRefusal(data));
      } else {
        view(name, data);
      }
    });
    if (!ended) body.append(notice('error', 'The answer ended before it was complete; send the message again.'));
    return true;
  } catch (e) {
    if (started) { // broke off mid-answer: what came stays
      body.append(turnRefusal(e));
      return true;
    }
    mine.remove();
    answer.remove();
    fill(status, sendRefusal(e));
    return false;
  } finally {
    view.finish();
    answer.removeAttribute('aria-busy');
    s.running = false;
    if (answer.isConnected) await s.refreshList();
  }
}

// The API refused the message itself: say why in words, then its code.
function sendRefusal(e) {
  const why = {
    ai_not_configured: 'The AI chat is not set up on this server yet.',
    rate_limited: 'You have sent as many chat messages as a minute allows.',
    chat_busy: 'The server is answering as many chats as it can right now.',
    conflict: 'This conversation is still answering a message.',
  }[e.code];
  const again = e.retryAfter
    ? ` You can send again in ${e.retryAfter} s (at ${new Date(Date.now() + e.retryAfter * 1000).toLocaleTimeString()}).` : '';
  return h('div', { class: 'refusal' }, why || again ? h('p', {}, why ? h('strong', {}, why) : null, again) : null, refusal(e));
}

// The turn failed after it began (an `error` event): what was said so far stays.
function turnRefusal(data) {
  const why = {
    ai_provider_error: 'The AI provider answered with an error.',
    ai_provider_timeout: 'The AI provider took too long to answer.',
    shutting_down: 'The server is restarting.',
  }[data.code] ?? 'The answer failed.';
  return h('div', { class: 'refusal' }, h('p', {}, h('strong', {}, why), ' Send the message again.'), refusal(data));
}

function bubble(log, role, text) {
  const el = h('div', { class: `msg msg-${role}` },
    h('p', { class: 'msg-who' }, role === 'user' ? 'You' : 'Assistant'),
    h('div', { class: 'msg-body' }, text === undefined ? null : h('p', { class: 'msg-text' }, text)));
  log.append(el);
  return el;
}

// Returns onEvent(name, data) that lays a streamed answer out in body: text
// pieces appended to the current paragraph, a line per tool call (its result
// filled in when it comes), and cards; onEvent.finish() once it ends.
function answerView(s, body) {
  let para = null;
  const calls = new Map();
  const onEvent = (name, data) => {
    if (name === 'delta') {
      if (!para) body.append(para = h('p', { class: 'msg-text' }));
      para.append(document.createTextNode(data.text ?? ''));
      return;
    }
    para = null;
    if (name === 'tool_call') {
      const line = toolLine(data.name, data.arguments);
      calls.set(data.id, line);
      body.append(line.el);
    } else if (name === 'tool_result') {
      calls.get(data.id)?.done(data.is_error, data.result);
    } else if (name === 'card') {
      body.append(cardView(data.card, s.conversation));
    }
  };
  onEvent.finish = () => calls.forEach((line) => line.unanswered());
  return onEvent;
}

// ------------------------------------------------- stored conversations

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// Lays out a stored conversation: the person's messages, the answers with
// their tool lines and cards (each after the call that prepared it), and the
// outcome notes of settled cards.
function showStored(log, c) {
  const cards = new Map(c.cards.map((k) => [k.id, k]));
  const lines = new Map();
  let body = null;
  for (const m of c.messages) {
    if (m.role === 'user') {
      bubble(log, 'user', m.content ?? '');
      body = null;
      continue;
    }
    if (!body) body = bubble(log, 'assistant').querySelector('.msg-body');
    if (m.role === 'assistant') {
      if (m.content) body.append(h('p', { class: 'msg-text' }, m.content));
      for (const call of m.tool_calls ?? []) {
        const line = toolLine(call.function?.name ?? 'tool', parse(call.function?.arguments ?? ''));
        lines.set(call.id, line);
        body.append(line.el);
      }
    } else if (m.role === 'tool') {
      const told = parse(m.content);
      lines.get(m.tool_call_id)?.done(Boolean(told?.error), told);
      const card = cards.get(told?.card_id);
      if (card) {
        body.append(cardView(card, c.id));
        cards.delete(card.id);
      }
    } else if (m.role === 'outcome') {
      const o = parse(m.content);
      if (o) body.append(h('p', { class: 'muted outcome' }, `Card ${OUTCOME[o.outcome] ?? o.outcome}: ${o.summary}`));
    }
  }
  for (const card of cards.values()) (body ?? bubble(log, 'assistant').querySelector('.msg-body')).append(cardView(card, c.id));
  for (const line of lines.values()) line.unanswered();
}

const OUTCOME = { confirmed: 'confirmed', declined: 'cancelled', expired: 'expired' };

// ---------------------------------------------------------- tool lines

// One compact line per tool call: its name and, once answered, its result in
// one line; the arguments and the whole result behind a disclosure.
function toolLine(name, args) {
  const result = h('span', { class: 'tool-result' }, 'running…');
  const more = h('details', { class: 'tool-more' }, h('summary', {}, 'Details'),
    h('pre', {}, `arguments: ${JSON.stringify(args ?? null, null, 2)}`));
  const el = h('div', { class: 'tool', dataset: { tool: name } }, h('span', { class: 'tool-name' }, name), ' ', result, more);
  let answered = false;
  return {
    el,
    done(isError, r) {
      answered = true;
      el.classList.toggle('tool-error', Boolean(isError));
      result.textContent = oneLine(isError, r);
      more.querySelector('pre').append(document.createTextNode(`\nresult: ${JSON.stringify(r, null, 2)}`));
    },
    // The turn ended (failed) before this call had its result.
    unanswered() {
      if (!answered) result.textContent = 'no result: the turn ended first';
    },
  };
}

function clip(s, n = 120) {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function oneLine(isError, r) {
  if (isError || r?.error) {
    const e = r?.error;
    const code = typeof e === 'string' ? e : e?.code ?? e?.error;
    return clip(`error${code ? ` ${code}` : ''}: ${r?.message ?? e?.message ?? JSON.stringify(e ?? r)}`);
  }
  if (r?.status === 'awaiting_confirmation') return 'prepared a card: waits for your Confirm';
  if (Array.isArray(r?.items)) {
    const titles = r.items.slice(0, 3).map((i) => i.title ?? i.name ?? i.id).join(', ');
    return clip(`${r.total ?? r.items.length} found${titles ? `: ${titles}` : ''}`);
  }
  if (typeof r?.running === 'boolean') return r.running ? 'a timer is running' : 'no timer is running';
  return clip(JSON.stringify(r ?? null));
}

// --------------------------------------------------------------- cards

// The open cards' countdowns, ticked together once a second while any is on
// the page.
const live = new Set();
let ticker = null;

function tickAll() {
  for (const tick of live) tick();
  if (!live.size) {
    clearInterval(ticker);
    ticker = null;
  }
}

function timeLeft(ms) {
  const s = Math.ceil(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// A confirmation card: what will change (summary and details), the time left
// until expires_at, Confirm and Cancel; then what happened.
function cardView(card, conv) {
  const headId = uid('card');
  const expires = new Date(card.expires_at);
  const left = h('p', { class: 'time-left' });
  const result = h('div', { class: 'card-result' });
  const confirm = h('button', { type: 'button', 'aria-describedby': headId }, 'Confirm');
  const cancel = h('button', { type: 'button', class: 'secondary', 'aria-describedby': headId }, 'Cancel');
  const el = h('article', { class: 'chat-card', 'aria-labelledby': headId, dataset: { card: card.id, state: 'open' } },
    h('p', { class: 'card-kind' }, 'Confirm this change'),
    h('h3', { id: headId }, card.summary),
    card.details?.length ? h('ul', { class: 'card-details' }, card.details.map((d) => h('li', {}, d))) : null,
    left, h('div', { class: 'card-actions' }, confirm, cancel), result);

  let settled = false;
  const settle = (state, message, kind = 'ok') => {
    settled = true;
    live.delete(tick);
    el.dataset.state = state;
    confirm.disabled = true;
    cancel.disabled = true;
    left.textContent = state === 'expired' ? `Expired at ${expires.toLocaleTimeString()}.` : '';
    const p = h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status', tabindex: '-1' }, message);
    fill(result, p);
    return p;
  };
  const expire = () => settle('expired', 'This card expired: nothing was changed. Ask again to prepare it anew.', 'error');
  const paint = () => {
    const ms = expires.getTime() - Date.now();
    if (ms <= 0) expire();
    else left.textContent = `Time left: ${timeLeft(ms)} (until ${expires.toLocaleTimeString()})`;
  };
  const tick = () => (el.isConnected ? paint() : live.delete(tick)); // gone: the page moved on

  // The person acts on it: busy() re-enables the button, so settle after it.
  const act = async (btn, fn) => {
    let p = null;
    await busy(btn, async () => {
      try {
        p = await fn();
      } catch (e) {
        if (e.code === 'confirmation_expired') p = expire();
        else if (e.code === 'confirmation_used') p = settle('used', `This card was already used: ${e.message}`, 'error');
        else fill(result, refusal(e)); // the token is still good: the person may try again
      }
    });
    if (settled) {
      confirm.disabled = cancel.disabled = true;
      p?.focus();
    }
  };
  confirm.addEventListener('click', () => act(confirm, async () => {
    const done = await post('/api/v1/ai/confirm', { confirmation_token: card.confirmation_token });
    return settle('confirmed', `Confirmed: ${describe(card.tool, done)}`);
  }));
  cancel.addEventListener('click', () => act(cancel, async () => {
    await post(`/api/ai/conversations/${encodeURIComponent(conv)}/cards/${encodeURIComponent(card.id)}/decline`);
    return settle('declined', 'Cancelled: nothing was changed.');
  }));

  if (card.state === 'confirmed') settle('confirmed', 'Confirmed: the change was made.');
  else if (card.state === 'declined') settle('declined', 'Cancelled: nothing was changed.');
  else if (card.state === 'expired' || Number.isNaN(expires.getTime())) expire();
  else {
    paint();
    if (!settled) {
      live.add(tick);
      ticker ??= setInterval(tickAll, 1000);
    }
  }
  return el;
}

// What a confirmed card did, from POST /api/v1/ai/confirm's {action, result}.
function describe(tool, { action, result: r }) {
  if (tool === 'log_time_entry' && r?.log_date) return `logged ${hours(r.hours)} h on ${r.log_date} (entry ${r.id}).`;
  if (tool === 'start_timer' && r?.id) return `the timer is running (entry ${r.id}).`;
  if (tool === 'stop_timer' && r?.log_date) return `the timer stopped: ${hours(r.hours)} h logged on ${r.log_date}.`;
  if (r?.status && r?.id) return `${r.id} is now ${r.status}.`;
  return `${action?.method ?? ''} ${action?.path ?? ''} done${r?.id ? ` (${r.id})` : ''}.`;
}
