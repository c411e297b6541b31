// Settings → Integrations: webhook subscriptions (Pro with Projects or
// Finance, admins; the API decides and the page shows its refusal), each
// with Test, its delivery log and retry.
import { get, post, patch, del, qs } from './api.js';
import { h, fill, field, notice, refusal, scrollTable, when, uid, busy } from './ui.js';

const EVENTS = ['time_entry.created', 'time_entry.updated', 'time_entry.deleted', 'time_entry.invoiced',
  'timer.started', 'timer.stopped', 'timesheet.submitted', 'timesheet.approved', 'timesheet.rejected'];

export async function render(main) {
  const listBox = h('section', { class: 'card', 'aria-labelledby': 'hooks-h' });
  main.append(h('h1', { tabindex: '-1' }, 'Integrations'),
    h('p', {}, 'Webhooks send signed time events to your HTTPS endpoints. Each attempt is kept in the delivery log.'),
    listBox);
  await renderList(listBox);
}

async function renderList(box, message) {
  const heading = h('h2', { id: 'hooks-h', tabindex: '-1' }, 'Webhooks');
  let hooks;
  try {
    hooks = await get('/api/v1/time/webhooks');
  } catch (e) {
    const why = e.status === 402 ? 'Webhooks need the Pro plan with the Projects or Finance module.'
      : e.status === 403 ? 'Only workspace admins manage webhooks.' : 'The webhooks could not be loaded.';
    fill(box, heading, h('div', { class: 'refusal', id: 'integrations-refusal' }, h('p', {}, h('strong', {}, why)), refusal(e)));
    return;
  }
  const status = h('div', { class: 'status-slot' }, message);
  const list = h('ul', { class: 'hooks', 'aria-label': 'Webhooks' });
  for (const w of hooks) list.append(hookItem(box, w));
  fill(box, heading, status, hooks.length ? list : h('p', {}, 'No webhooks yet.'), createForm(box));
}

// URL and event checkboxes, for create and edit.
function hookFields(w) {
  const url = field('Endpoint URL', { type: 'url', required: true, value: w?.url ?? '', placeholder: 'https://example.com/hooks/time', maxlength: 2048 });
  const boxes = EVENTS.map((ev) => {
    const id = uid('ev');
    const input = h('input', { type: 'checkbox', id, value: ev, checked: w ? w.events.includes(ev) : false });
    return { input, row: h('div', { class: 'check' }, input, h('label', { for: id }, ev)) };
  });
  const events = h('fieldset', { class: 'events' }, h('legend', {}, 'Events'), boxes.map((b) => b.row));
  return { rows: [url.row, events], url: url.input, events: () => boxes.filter((b) => b.input.checked).map((b) => b.input.value) };
}

function createForm(box) {
  const f = hookFields(null);
  const status = h('div', { class: 'status-slot' });
  const submit = h('button', { type: 'submit' }, 'Create webhook');
  const form = h('form', { class: 'create', 'aria-labelledby': 'create-h' }, h('h3', { id: 'create-h' }, 'Add a webhook'), f.rows, submit, status);
  form.noValidate = true; // the API's refusal is shown as it is
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, async () => {
      try {
        const w = await post('/api/v1/time/webhooks', { url: f.url.value.trim(), events: f.events() });
        await renderList(box);
        box.querySelector('.hooks')?.before(secretPanel(w));
        box.querySelector('#secret-value')?.focus();
      } catch (e) {
        fill(status, refusal(e));
      }
    });
  });
  return form;
}

// The signing secret, shown once: the API returns it only from create.
function secretPanel(w) {
  const out = h('div', { class: 'status-slot' });
  const input = h('input', { id: 'secret-value', type: 'text', readonly: true, value: w.secret, class: 'secret', spellcheck: 'false' });
  const copy = h('button', { type: 'button' }, 'Copy secret');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(w.secret);
      fill(out, notice('ok', 'Copied to the clipboard.'));
    } catch {
      input.select();
      fill(out, notice('error', 'The browser refused the clipboard: the secret is selected, copy it with your keyboard.'));
    }
  });
  const done = h('button', { type: 'button', class: 'secondary' }, 'Done');
  const panel = h('div', { class: 'secret-panel', role: 'region', 'aria-labelledby': 'secret-h' },
    h('h3', { id: 'secret-h' }, 'Signing secret for ', w.url),
    h('p', {}, 'Shown only this once. Keep it where your receiver checks signatures; it cannot be read again.'),
    h('label', { for: 'secret-value' }, 'Secret'), input, copy, done, out);
  done.addEventListener('click', () => panel.remove());
  return panel;
}

function hookItem(box, w) {
  const status = h('div', { class: 'status-slot' });
  const log = h('div', { class: 'log', hidden: true });
  const label = w.url;
  const btn = (text, cls, aria) => h('button', { type: 'button', class: cls, 'aria-label': `${aria ?? text} for ${label}` }, text);
  const test = btn('Test', '', 'Send a test event');
  const showLog = btn('Delivery log', 'secondary', 'Show the delivery log');
  showLog.setAttribute('aria-expanded', 'false');
  const edit = btn('Edit', 'secondary');
  const toggle = btn(w.enabled ? 'Disable' : 'Enable', 'secondary');
  const remove = btn('Delete', 'danger');
  const actions = h('div', { class: 'actions' }, test, showLog, edit, toggle, remove);

  test.addEventListener('click', () => busy(test, async () => {
    try {
      const d = await post(`/api/v1/time/webhooks/${encodeURIComponent(w.id)}/test`);
      const a = d.attempt ?? {};
      const ok = d.status === 'delivered';
      const what = a.response_code ? `answered ${a.response_code}` : a.error || a.outcome;
      fill(status, notice(ok ? 'ok' : 'error', `Test event ${ok ? 'delivered' : 'not delivered'}: ${what} in ${a.duration_ms ?? '?'} ms.`));
      if (!log.hidden) await renderLog(log, w);
    } catch (e) {
      fill(status, refusal(e));
    }
  }));
  showLog.addEventListener('click', async () => {
    const open = log.hidden;
    log.hidden = !open;
    showLog.setAttribute('aria-expanded', String(open));
    if (open) await renderLog(log, w);
  });
  edit.addEventListener('click', () => editForm(box, w, item, status));
  toggle.addEventListener('click', () => busy(toggle, async () => {
    try {
      await patch(`/api/v1/time/webhooks/${encodeURIComponent(w.id)}`, { enabled: !w.enabled });
      await renderList(box, notice('ok', `${w.enabled ? 'Disabled' : 'Enabled'} ${label}.`));
    } catch (e) {
      fill(status, refusal(e));
    }
  }));
  remove.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'danger' }, 'Delete for good');
    const no = h('button', { type: 'button', class: 'secondary' }, 'Keep it');
    fill(status, h('div', { role: 'group', 'aria-label': `Delete ${label}?` }, h('p', {}, `Delete the webhook to ${label}? Its delivery log goes with it.`), yes, no));
    no.addEventListener('click', () => { fill(status); remove.focus(); });
    yes.addEventListener('click', () => busy(yes, async () => {
      try {
        await del(`/api/v1/time/webhooks/${encodeURIComponent(w.id)}`);
        await renderList(box, notice('ok', `Deleted the webhook to ${label}.`));
        box.querySelector('h2').focus();
      } catch (e) {
        fill(status, refusal(e));
      }
    }));
    yes.focus();
  });

  const item = h('li', { class: 'hook', dataset: { id: w.id } },
    h('h3', {}, w.url), h('p', {}, h('span', { class: `badge ${w.enabled ? 'status-approved' : 'status-draft'}` }, w.enabled ? 'enabled' : 'disabled'),
      ' ', h('span', { class: 'muted' }, w.events.join(', '))),
    actions, status, log);
  return item;
}

function editForm(box, w, item, status) {
  const f = hookFields(w);
  const save = h('button', { type: 'submit' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { class: 'edit', 'aria-label': `Edit the webhook to ${w.url}` }, f.rows, save, cancel);
  form.noValidate = true;
  cancel.addEventListener('click', () => renderList(box));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(save, async () => {
      try {
        await patch(`/api/v1/time/webhooks/${encodeURIComponent(w.id)}`, { url: f.url.value.trim(), events: f.events() });
        await renderList(box, notice('ok', `Saved ${f.url.value.trim()}.`));
      } catch (e) {
        fill(status, refusal(e));
      }
    });
  });
  fill(status, form);
  f.url.focus();
}

// The delivery log of w: each delivery with every attempt, the payload sent
// and a Retry button. After a retry the log is read again until the
// dispatcher has made its attempt (or a few seconds have passed).
async function renderLog(log, w, message) {
  const heading = h('h4', {}, 'Delivery log');
  const refresh = h('button', { type: 'button', class: 'secondary', 'aria-label': `Refresh the delivery log for ${w.url}` }, 'Refresh');
  refresh.addEventListener('click', () => busy(refresh, () => renderLog(log, w)));
  let deliveries;
  try {
    deliveries = await get(`/api/v1/time/webhooks/${encodeURIComponent(w.id)}/deliveries` + qs({ limit: 20 }));
  } catch (e) {
    fill(log, heading, refusal(e));
    return null;
  }
  const status = h('div', { class: 'status-slot' }, message);
  if (!deliveries.length) {
    fill(log, heading, h('p', {}, 'No deliveries yet. Press Test to send one.'), refresh, status);
    return deliveries;
  }
  fill(log, heading, refresh, status, h('ol', { class: 'deliveries', 'aria-label': `Deliveries to ${w.url}` },
    deliveries.map((d) => deliveryItem(log, w, d, status))));
  return deliveries;
}

function deliveryItem(log, w, d, status) {
  const retry = h('button', { type: 'button', class: 'secondary', 'aria-label': `Retry delivery ${d.id}` }, 'Retry');
  retry.disabled = d.status === 'pending';
  retry.addEventListener('click', () => busy(retry, async () => {
    try {
      await post(`/api/v1/time/webhooks/${encodeURIComponent(w.id)}/deliveries/${encodeURIComponent(d.id)}/retry`);
    } catch (e) {
      fill(status, refusal(e));
      return;
    }
    const before = d.attempts.length;
    for (let i = 0; i < 20; i++) {
      const now = await renderLog(log, w, notice('ok', `Retry of ${d.id} queued; waiting for its attempt…`));
      const again = now?.find((x) => x.id === d.id);
      if (!again || (again.status !== 'pending' && again.attempts.length > before)) {
        const a = again?.attempts.at(-1);
        await renderLog(log, w, notice(again?.status === 'delivered' ? 'ok' : 'error',
          `Retry of ${d.id}: ${again?.status ?? 'gone'}${a?.response_code ? `, answered ${a.response_code}` : ''}.`));
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    await renderLog(log, w, notice('ok', `Retry of ${d.id} is still queued; refresh later.`));
  }));
  const attempts = h('table', { class: 'attempts stack' },
    h('caption', {}, `Attempts of ${d.event} (${d.id})`),
    h('thead', {}, h('tr', {}, ['#', 'Time', 'Outcome', 'Response code', 'Duration', 'Response body'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, d.attempts.map((a) => h('tr', { class: `outcome-${a.outcome}` },
      h('td', { 'data-label': '#' }, String(a.attempt)), h('td', { 'data-label': 'Time' }, when(a.at)), h('td', { 'data-label': 'Outcome' }, a.outcome),
      h('td', { class: 'num', 'data-label': 'Response code' }, a.response_code ?? '—'),
      h('td', { class: 'num', 'data-label': 'Duration' }, a.duration_ms == null ? '—' : `${a.duration_ms} ms`),
      h('td', { 'data-label': 'Response body' }, a.response_body ? h('pre', {}, a.response_body) : '—', a.error ? h('p', { class: 'muted' }, a.error) : null)))));
  return h('li', { class: `delivery delivery-${d.status}`, dataset: { id: d.id } },
    h('p', {}, h('strong', {}, d.event), ' ', h('span', { class: `badge status-${d.status}` }, d.status),
      h('span', { class: 'muted' }, ` created ${when(d.created_at)}${d.status === 'pending' && d.next_attempt_at ? `, next attempt ${when(d.next_attempt_at)}` : ''}`), ' ', retry),
    scrollTable(`Attempts of delivery ${d.id}`, attempts),
    d.payload ? h('details', {}, h('summary', {}, 'Payload sent'), h('pre', { class: 'payload' }, JSON.stringify(d.payload, null, 2))) : null);
}
