// Time: the running timer (started on a record found by words, stopped) and
// this week's timesheet by day and project, with submit.
import { get, post, qs } from './api.js';
import { h, fill, field, notice, refusal, scrollTable, hours, when, isoDay, busy } from './ui.js';

let tick = null; // the running timer's clock, stopped when the page re-renders

export async function render(main, { me }) {
  const timerBox = h('section', { class: 'card', 'aria-labelledby': 'timer-h' });
  const weekBox = h('section', { class: 'card', 'aria-labelledby': 'week-h' });
  main.append(h('h1', { tabindex: '-1' }, 'Time'), timerBox, weekBox);
  const projects = await projectNames();
  const refreshWeek = () => renderWeek(weekBox, me, projects);
  await Promise.all([renderTimer(timerBox, refreshWeek), refreshWeek()]);
}

// Project id → name, for the rows of the week (the work-items search lists projects).
async function projectNames() {
  try {
    const d = await get('/api/v1/work-items' + qs({ types: 'project', limit: 50 }));
    return new Map(d.items.map((p) => [p.id, p.title]));
  } catch {
    return new Map();
  }
}

function elapsed(startIso) {
  const s = Math.max(0, Math.floor((Date.now() - new Date(startIso).getTime()) / 1000));
  const p = (n) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
}

async function renderTimer(box, refreshWeek, message) {
  clearInterval(tick);
  const heading = h('h2', { id: 'timer-h' }, 'Timer');
  let active;
  try {
    active = await get('/api/v1/time/timer/active');
  } catch (e) {
    fill(box, heading, refusal(e));
    return;
  }
  const status = h('div', { class: 'status-slot' }, message);
  if (active) {
    const clock = h('span', { class: 'clock', 'aria-hidden': 'true' }, elapsed(active.started_at));
    tick = setInterval(() => { clock.textContent = elapsed(active.started_at); }, 1000);
    const stop = h('button', { type: 'button', class: 'danger' }, 'Stop timer');
    stop.addEventListener('click', () => busy(stop, async () => {
      try {
        const e = await post('/api/v1/time/timer/stop');
        await renderTimer(box, refreshWeek, notice('ok', `Timer stopped: ${hours(e.hours)} h logged on ${e.log_date}.`));
        await refreshWeek();
        box.querySelector('input')?.focus();
      } catch (err) {
        fill(status, refusal(err));
      }
    }));
    fill(box, heading,
      h('p', { class: 'running', id: 'timer-running' },
        h('strong', {}, 'Running'), ` on ${active.entity_type.replace('_', ' ')}`,
        active.description ? ` — ${active.description}` : '', `, since ${when(active.started_at)} `, clock),
      stop, status);
    return;
  }
  const q = field('Find a record to time', { type: 'search', autocomplete: 'off', placeholder: 'e.g. acme kickoff' },
    'Words of a task, ticket, deal, candidate, event, conversation or project title, its project or its customer.');
  const desc = field('What are you doing? (optional)', { type: 'text', maxlength: 1000 });
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const search = h('button', { type: 'submit' }, 'Search');
  const form = h('form', { role: 'search', 'aria-label': 'Find a record to time' }, q.row, search);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(search, () => findRecords(q.input.value, results, async (item, btn) => {
      try {
        const body = { entity_type: item.type, entity_id: item.id };
        if (desc.input.value.trim()) body.description = desc.input.value.trim();
        await busy(btn, () => post('/api/v1/time/timer/start', body));
        await renderTimer(box, refreshWeek, notice('ok', `Timer started on ${item.title}.`));
        await refreshWeek();
        box.querySelector('button')?.focus();
      } catch (err) {
        fill(status, refusal(err));
      }
    }));
  });
  fill(box, heading, h('p', {}, 'No timer is running.'), form, desc.row, results, status);
}

async function findRecords(words, results, start) {
  let d;
  try {
    d = await get('/api/v1/work-items' + qs({ query: words.trim(), limit: 10 }));
  } catch (e) {
    fill(results, refusal(e));
    return;
  }
  if (!d.items.length) {
    fill(results, h('p', {}, `Nothing matches “${words}”.`));
    return;
  }
  const list = h('ul', { class: 'items', 'aria-label': 'Records found' });
  for (const item of d.items) {
    const btn = h('button', { type: 'button', 'aria-label': `Start timer on ${item.type.replace('_', ' ')} ${item.title}` }, 'Start timer');
    btn.addEventListener('click', () => start(item, btn));
    const context = [item.project?.name, item.customer?.name].filter(Boolean).join(' · ');
    list.append(h('li', {}, h('span', { class: 'item-title' }, item.title), ' ',
      h('span', { class: 'badge' }, item.type.replace('_', ' ')), context ? h('span', { class: 'muted' }, ` ${context}`) : null, btn));
  }
  fill(results, h('p', { class: 'muted' }, `${d.total} found${d.total > d.items.length ? `, the first ${d.items.length} shown` : ''}.`), list);
}

function parseDay(s) {
  const [y, m, d] = s.split('-').map(Number);
  return new Date(y, m - 1, d);
}

async function renderWeek(box, me, projects, message) {
  const heading = h('h2', { id: 'week-h' }, 'This week');
  const today = new Date();
  const from = new Date(today);
  from.setDate(from.getDate() - 6);
  let sheet = null;
  try {
    const list = await get('/api/v1/timesheets' + qs({ user_id: me.id, period_start_from: isoDay(from), period_start_to: isoDay(today) }));
    const t = isoDay(today);
    const found = list.find((s) => s.period_start <= t && t <= s.period_end);
    if (found) sheet = await get(`/api/v1/timesheets/${encodeURIComponent(found.id)}`);
  } catch (e) {
    fill(box, heading, refusal(e));
    return;
  }
  if (!sheet) {
    fill(box, heading, h('p', {}, 'Nothing is logged this week yet: start a timer above.'), message);
    return;
  }
  const days = [];
  for (let d = parseDay(sheet.period_start); isoDay(d) <= sheet.period_end; d.setDate(d.getDate() + 1)) days.push(isoDay(d));
  const rows = new Map(); // project name → {day → hours}
  for (const e of sheet.entries) {
    const name = e.project_id ? projects.get(e.project_id) ?? e.project_id : 'No project';
    const row = rows.get(name) ?? {};
    row[e.log_date] = (row[e.log_date] ?? 0) + Number(e.hours);
    rows.set(name, row);
  }
  const dayLabel = (d) => parseDay(d).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' });
  const sum = (obj) => Object.values(obj).reduce((a, b) => a + b, 0);
  const totals = {};
  for (const row of rows.values()) for (const [d, v] of Object.entries(row)) totals[d] = (totals[d] ?? 0) + v;
  const cell = (v) => h('td', { class: 'num' }, v ? hours(v) : '');
  const table = h('table', { class: 'week' },
    h('caption', {}, `Hours from ${sheet.period_start} to ${sheet.period_end}, by project and day`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Project'), days.map((d) => h('th', { scope: 'col', class: 'num' }, dayLabel(d))), h('th', { scope: 'col', class: 'num' }, 'Total'))),
    h('tbody', {}, [...rows.entries()].map(([name, row]) =>
      h('tr', {}, h('th', { scope: 'row' }, name), days.map((d) => cell(row[d])), h('td', { class: 'num' }, hours(sum(row)))))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'Total'), days.map((d) => cell(totals[d])), h('td', { class: 'num' }, hours(sheet.total_hours)))));
  const status = h('div', { class: 'status-slot' }, message);
  const canSubmit = (sheet.status === 'draft' || sheet.status === 'rejected') && sheet.entry_count > 0;
  const submit = canSubmit ? h('button', { type: 'button' }, 'Submit for approval') : null;
  submit?.addEventListener('click', () => busy(submit, async () => {
    try {
      await post(`/api/v1/timesheets/${encodeURIComponent(sheet.id)}/submit`);
      await renderWeek(box, me, projects, notice('ok', 'Timesheet submitted for approval.'));
      box.querySelector('h2')?.focus();
    } catch (e) {
      fill(status, refusal(e));
    }
  }));
  heading.tabIndex = -1;
  fill(box, heading,
    h('p', {}, 'Status: ', h('span', { class: `badge status-${sheet.status}`, id: 'week-status' }, sheet.status),
      ` · ${hours(sheet.total_hours)} h in ${sheet.entry_count} ${sheet.entry_count === 1 ? 'entry' : 'entries'}`),
    sheet.status === 'rejected' && sheet.rejection_reason ? notice('error', `Rejected: ${sheet.rejection_reason}`) : null,
    scrollTable('This week\'s hours', table), submit, status);
}
