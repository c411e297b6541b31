// API reference: schemas/openapi.json as served at /openapi.json, rendered
// here (operations by tag, their parameters, bodies and answers), with a filter.
import { h, fill, field, scrollTable } from './ui.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

// The descriptions' Markdown, the little of it they use: paragraphs, `code`
// and **bold**, built as elements (never parsed as HTML).
function prose(text) {
  if (!text) return null;
  return h('div', { class: 'prose' }, text.split(/\n{2,}/).map((para) => h('p', {},
    para.split(/(`[^`]+`|\*\*[^*]+\*\*)/).filter(Boolean).map((part) =>
      part.startsWith('`') && part.endsWith('`') && part.length > 1 ? h('code', {}, part.slice(1, -1))
        : part.startsWith('**') && part.endsWith('**') && part.length > 4 ? h('strong', {}, part.slice(2, -2)) : part))));
}
let spec = null;

export async function render(main) {
  main.append(h('h1', { tabindex: '-1' }, 'API reference'));
  if (!spec) {
    const r = await fetch('/openapi.json');
    spec = await r.json();
  }
  const filter = field('Filter operations', { type: 'search', autocomplete: 'off', placeholder: 'e.g. timesheets, webhook, POST' });
  const count = h('p', { class: 'muted', role: 'status' });
  const body = h('div', {});
  const ops = operations(spec);
  const draw = () => {
    const words = filter.input.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = ops.filter((o) => words.every((w) => o.text.includes(w)));
    count.textContent = `${shown.length} of ${ops.length} operations`;
    fill(body, byTag(shown));
  };
  filter.input.addEventListener('input', draw);
  main.append(
    h('p', {}, `${spec.info.title} ${spec.info.version}. The document itself: `, h('a', { href: '/openapi.json' }, '/openapi.json'), '.'),
    prose(spec.info.description),
    filter.row, count, body);
  draw();
}

function operations(doc) {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref);
      out.push({ path, method: m.toUpperCase(), op, params, tag: op.tags?.[0] ?? 'other',
        text: `${m} ${path} ${op.summary ?? ''} ${op.operationId ?? ''} ${(op.tags ?? []).join(' ')}`.toLowerCase() });
    }
  }
  return out;
}

// Follows a local "$ref" ("#/components/..."); anything else stays as it is.
function deref(x) {
  let seen = 0;
  while (x?.$ref?.startsWith('#/') && seen++ < 10) x = x.$ref.slice(2).split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec) ?? {};
  return x;
}

const refName = (s) => s?.$ref?.split('/').at(-1);

// A schema in one line: a named component, an array of one, or its type.
function typeText(s) {
  if (!s) return '';
  if (refName(s)) return refName(s);
  if (s.type === 'array') return `array of ${typeText(s.items)}`;
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const alts = s.oneOf ?? s.anyOf;
  if (alts) return alts.map(typeText).join(' | ');
  const t = Array.isArray(s.type) ? s.type.join(' | ') : s.type ?? (s.properties ? 'object' : 'any');
  return s.format ? `${t} (${s.format})` : t;
}

// The properties of an object schema, one level deep.
function schemaTable(label, schema) {
  const s = deref(schema);
  if (!s?.properties) return h('p', {}, h('code', {}, typeText(schema)));
  const req = new Set(s.required ?? []);
  return scrollTable(label, h('table', { class: 'schema' },
    h('caption', {}, label, refName(schema) ? ` (${refName(schema)})` : ''),
    h('thead', {}, h('tr', {}, ['Field', 'Type', 'Description'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, Object.entries(s.properties).map(([k, v]) => h('tr', {},
      h('th', { scope: 'row' }, h('code', {}, k), req.has(k) ? ' (required)' : ''), h('td', {}, h('code', {}, typeText(v))),
      h('td', {}, prose(deref(v).description)))))));
}

function byTag(ops) {
  const tags = new Map();
  for (const o of ops) tags.set(o.tag, [...(tags.get(o.tag) ?? []), o]);
  const describe = new Map((spec.tags ?? []).map((t) => [t.name, t.description]));
  return [...tags.entries()].map(([tag, list]) => h('section', { class: 'tag', 'aria-label': tag },
    h('h2', {}, tag), prose(describe.get(tag)),
    list.map(operation)));
}

function operation(o) {
  const { op } = o;
  const body = op.requestBody ? deref(op.requestBody) : null;
  const json = body?.content?.['application/json'];
  return h('details', { class: 'op' },
    h('summary', {}, h('span', { class: `method m-${o.method.toLowerCase()}` }, o.method), ' ', h('code', {}, o.path), ' ', h('span', {}, op.summary ?? '')),
    prose(op.description),
    o.params.length ? scrollTable(`Parameters of ${o.method} ${o.path}`, h('table', {},
      h('caption', {}, 'Parameters'),
      h('thead', {}, h('tr', {}, ['Name', 'In', 'Type', 'Description'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, o.params.map((p) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, p.name), p.required ? ' (required)' : ''),
        h('td', {}, p.in), h('td', {}, h('code', {}, typeText(p.schema))), h('td', {}, prose(p.description))))))) : null,
    json ? h('div', {}, h('h3', {}, 'Request body'), prose(body.description), schemaTable(`Body of ${o.method} ${o.path}`, json.schema)) : null,
    h('h3', {}, 'Responses'),
    h('dl', { class: 'responses' }, Object.entries(op.responses ?? {}).map(([code, r]) =>
      [h('dt', {}, h('code', {}, code)), h('dd', {}, prose(deref(r).description))])));
}
