// Small DOM helpers. Text always goes in as text nodes (never innerHTML), so
// nothing the API returns can become markup.

// h('button', {type: 'button', onclick: f, class: 'x'}, 'Label', child...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replaces el's children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
export const uid = (p = 'f') => `${p}-${++ids}`;

// A labelled input: returns {row, input}.
export function field(label, attrs = {}, hint) {
  const id = uid('in');
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h(attrs.tag ?? 'input', { ...attrs, tag: undefined, id, 'aria-describedby': hintId });
  const row = h('div', { class: 'field' }, h('label', { for: id }, label), input, hint && h('p', { class: 'hint', id: hintId }, hint));
  return { row, input };
}

// A message region that screen readers announce: kind is 'ok' or 'error'.
export function notice(kind, text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// An ApiError (or any error) as a visible, announced refusal.
export function refusal(e) {
  const code = e.code ? `${e.code}: ` : '';
  return notice('error', `${code}${e.message}`);
}

// A table that scrolls sideways on a narrow screen, reachable by keyboard.
export function scrollTable(label, table) {
  return h('div', { class: 'scroll', role: 'region', 'aria-label': label, tabindex: '0' }, table);
}

// Hours with two decimals, as the API's decimal text or a number.
export const hours = (n) => (Math.round(Number(n) * 100) / 100).toFixed(2);

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

// YYYY-MM-DD of a local date.
export function isoDay(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// Runs fn with btn disabled (no double submit) and returns its result.
export async function busy(btn, fn) {
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
  }
}
