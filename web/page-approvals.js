// Approvals: the queue of submitted timesheets a manager or admin may approve
// or reject (a reason is required to reject; the API checks it too).
import { get, post, qs } from './api.js';
import { h, fill, field, notice, refusal, scrollTable, hours, when, busy } from './ui.js';

export async function render(main) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'queue-h' });
  main.append(h('h1', { tabindex: '-1' }, 'Approvals'), box);
  await renderQueue(box);
}

async function renderQueue(box, message) {
  const heading = h('h2', { id: 'queue-h', tabindex: '-1' }, 'Submitted timesheets');
  let list;
  try {
    list = await get('/api/v1/timesheets' + qs({ status: 'submitted', limit: 200 }));
  } catch (e) {
    fill(box, heading, refusal(e));
    return;
  }
  const status = h('div', { class: 'status-slot' }, message);
  if (!list.length) {
    fill(box, heading, h('p', {}, 'Nothing is waiting for approval.'), status);
    return;
  }
  const rows = list.map((t) => {
    const who = t.user_name || t.user_id;
    const approve = h('button', { type: 'button', 'aria-label': `Approve ${who}'s timesheet of ${t.period_start}` }, 'Approve');
    const reject = h('button', { type: 'button', class: 'secondary', 'aria-label': `Reject ${who}'s timesheet of ${t.period_start}` }, 'Reject');
    const actions = h('td', { class: 'actions' }, approve, reject);
    approve.addEventListener('click', () => busy(approve, async () => {
      try {
        await post(`/api/v1/timesheets/${encodeURIComponent(t.id)}/approve`);
        await renderQueue(box, notice('ok', `Approved ${who}'s timesheet of ${t.period_start}.`));
        box.querySelector('h2').focus();
      } catch (e) {
        fill(status, refusal(e));
      }
    }));
    reject.addEventListener('click', () => askReason(box, t, who, actions, status));
    return h('tr', { dataset: { id: t.id } }, h('th', { scope: 'row' }, who), h('td', { 'data-label': 'Period' }, `${t.period_start} – ${t.period_end}`),
      h('td', { class: 'num', 'data-label': 'Hours' }, hours(t.total_hours)), h('td', { 'data-label': 'Submitted' }, when(t.submitted_at)), actions);
  });
  const table = h('table', { class: 'stack' },
    h('caption', {}, `${list.length} waiting`),
    h('thead', {}, h('tr', {}, ['Person', 'Period', 'Hours', 'Submitted', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows));
  fill(box, heading, scrollTable('Submitted timesheets', table), status);
}

// Replaces a row's buttons with a reason field; the reason is required.
function askReason(box, t, who, cell, status) {
  const reason = field(`Why is ${who}'s timesheet rejected?`, { tag: 'textarea', rows: 2, maxlength: 2000, required: true });
  const send = h('button', { type: 'submit', class: 'danger' }, 'Reject timesheet');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { class: 'inline-form', 'aria-label': `Reject ${who}'s timesheet` }, reason.row, send, cancel);
  cancel.addEventListener('click', () => renderQueue(box));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = reason.input.value.trim();
    if (!text) {
      fill(status, notice('error', 'A reason is required to reject a timesheet.'));
      reason.input.setAttribute('aria-invalid', 'true');
      reason.input.focus();
      return;
    }
    busy(send, async () => {
      try {
        await post(`/api/v1/timesheets/${encodeURIComponent(t.id)}/reject`, { reason: text });
        await renderQueue(box, notice('ok', `Rejected ${who}'s timesheet of ${t.period_start}.`));
        box.querySelector('h2').focus();
      } catch (e) {
        fill(status, refusal(e));
      }
    });
  });
  form.noValidate = true; // the page says what is missing, in words, in the status region
  fill(cell, form);
  reason.input.focus();
}
