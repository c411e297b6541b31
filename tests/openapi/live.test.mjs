// The OpenAPI document against a live serve: a scripted tour of the REST API
// (every operation the document lists, bar the ones named in SKIPPED, in its
// successes and its usual refusals), and every answer checked: its status is
// one the document gives for the operation, its Content-Type the documented
// one, and its JSON body valid against the documented schema (Ajv, JSON
// Schema 2020-12, formats included). Needs DATABASE_URL (a throwaway cluster:
// scripts/test-pg.sh) and WT_BIN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const BIN = process.env.WT_BIN ?? '../../build/workestra-time';
const CRON_SECRET = 'openapi-live-cron-secret-0123456789';
const env = { ...process.env, WORKESTRA_SECRET_KEY: 'openapi-live-secret-key-0123456789' };
const doc = JSON.parse(readFileSync(new URL('../../schemas/openapi.json', import.meta.url)));

// Operations the tour does not reach, and why.
const SKIPPED = {
  'POST /mcp': 'JSON-RPC: checked by the MCP conformance suite and tests/e2e',
  'DELETE /mcp': 'JSON-RPC sessions: tests/e2e',
  'GET /mcp': 'JSON-RPC transport: tests/integration/test_mcp.c',
  'POST /api/ai/chat': 'needs a model: tests/integration/test_chat.c',
  'GET /api/ai/conversations/{id}': 'made by a chat turn: tests/integration/test_chat.c',
  'DELETE /api/ai/conversations/{id}': 'made by a chat turn: tests/integration/test_chat.c',
  'POST /api/ai/conversations/{id}/cards/{card_id}/decline': 'made by a chat turn: tests/integration/test_chat.c',
  'POST /api/v1/time/calendar-events/{id}/convert': 'needs a calendar feed: tests/integration/test_cron_calendar.c',
  'POST /api/v1/time/calendar-imports/{id}/convert': 'needs a calendar feed: tests/integration/test_cron_calendar.c',
  'GET /.well-known/oauth-protected-resource/mcp': 'needs OAUTH_ISSUER: tests/integration/test_oauth.c',
  'GET /.well-known/oauth-protected-resource': 'needs OAUTH_ISSUER: tests/integration/test_oauth.c',
  'GET /metrics': 'needs METRICS=on: tests/integration/test_metrics.c',
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const ROOT = 'https://workestra.test/openapi.json';
ajv.addSchema({ $id: ROOT, components: doc.components, paths: doc.paths });
const pointer = (...parts) => parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

// Path templates, most literal first, as regular expressions.
const templates = Object.keys(doc.paths)
  .map((t) => ({ t, re: new RegExp(`^${t.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`), params: (t.match(/\{/g) ?? []).length }))
  .sort((a, b) => a.params - b.params);

const seen = new Set();
const problems = [];

function responseSpec(op, status) {
  let r = op.responses[String(status)] ?? op.responses.default;
  if (r?.$ref) r = doc.components.responses[r.$ref.split('/').pop()];
  return r;
}

// Checks one answer against the document; records what is wrong.
function check(method, path, status, contentType, body) {
  const bare = path.split('?')[0];
  const tpl = templates.find((x) => x.re.test(bare));
  const where = `${method} ${path} → ${status}`;
  if (!tpl) return problems.push(`${where}: no path of the document matches`);
  const op = doc.paths[tpl.t][method.toLowerCase()];
  if (!op) return problems.push(`${where}: ${method} is not documented on ${tpl.t}`);
  seen.add(`${method} ${tpl.t}`);
  const spec = responseSpec(op, status);
  if (!spec) return problems.push(`${where}: status not documented (has ${Object.keys(op.responses).join(', ')})`);
  const bareType = (t) => t.split(';')[0].trim();
  const types = Object.keys(spec.content ?? {});
  if (!types.length) return;
  const type = bareType(contentType ?? '');
  if (!types.some((t) => bareType(t) === type)) return problems.push(`${where}: Content-Type ${type} not documented (${types.join(', ')})`);
  if (type !== 'application/json' || !spec.content[type]?.schema) return;
  // The schema in place: components' responses are checked through their own pointer.
  const code = op.responses[String(status)] ? String(status) : 'default';
  const raw = op.responses[code];
  const ref = raw.$ref
    ? `${ROOT}#/components/responses/${pointer(raw.$ref.split('/').pop(), 'content', type, 'schema')}`
    : `${ROOT}#/paths/${pointer(tpl.t, method.toLowerCase(), 'responses', code, 'content', type, 'schema')}`;
  let validate;
  try { validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref }); } catch (e) { return problems.push(`${where}: the document's schema does not compile (${e.message})`); }
  if (!validate(body)) problems.push(`${where}: ${ajv.errorsText(validate.errors, { separator: '; ' })}\n   body: ${JSON.stringify(body).slice(0, 400)}`);
}

let base, server, ws, admin, manager, member, demo;

async function call(method, path, token, body, headers = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const r = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)) });
  const text = await r.text();
  const type = r.headers.get('content-type');
  let json = null;
  if (type?.startsWith('application/json') && text) json = JSON.parse(text);
  check(method, path, r.status, type, json);
  return { status: r.status, json, text, headers: r.headers };
}

const cli = (...args) => JSON.parse(execFileSync(BIN, args, { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString());

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function user(role) {
  const u = cli('admin', 'user', 'create', '--workspace', ws, '--email', `${role}-${ws}@example.test`, '--role', role, '--weekly-hours', '40');
  return { id: u.id, token: cli('admin', 'token', 'create', '--user', u.id).token };
}

before(async () => {
  ws = cli('admin', 'workspace', 'create', '--name', 'OpenAPI', '--plan', 'pro', '--modules', 'projects,finance,people').id;
  admin = user('admin');
  manager = user('manager');
  member = user('member');
  demo = cli('admin', 'demo', '--workspace', ws);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve'], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', CRON_SECRET, WEBHOOK_ALLOW_PRIVATE: 'on', WEBHOOK_DISPATCHER: 'off', LOG_LEVEL: 'error' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve did not start');
});

after(async () => {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.on('exit', resolve));
});

test('the checker refuses what the document does not allow', () => {
  const before = problems.length;
  check('GET', '/api/v1/me', 200, 'application/json', { data: 42 });
  check('GET', '/api/v1/me', 418, 'application/json', {});
  check('GET', '/api/v1/time-entries', 200, 'text/html', null);
  check('GET', '/api/v1/no-such-path', 200, 'application/json', {});
  assert.equal(problems.length - before, 4, problems.slice(before).join('\n'));
  problems.splice(before);
  seen.clear();
});

test('every answer of the tour matches the OpenAPI document', async () => {
  const task = demo.tasks[0].id, project = demo.projects[0].id;
  const day = '2026-03-04';

  // Health and the caller.
  await call('GET', '/healthz');
  await call('GET', '/readyz');
  await call('GET', '/api/v1/me', member.token);
  await call('GET', '/api/v1/me');
  await call('GET', '/api/v1/work-items?query=acme&limit=5', member.token);

  // Entries: create, read, list (pages, cursors, sync), edit, delete, refusals.
  const made = await call('POST', '/api/v1/time-entries', member.token, { entity_type: 'task', entity_id: task, hours: 1.5, log_date: day, description: 'Kickoff' });
  assert.equal(made.status, 201, made.text);
  const entry = made.json.data.id;
  await call('POST', '/api/v1/time-entries', member.token, { entity_type: 'task', hours: 30, log_date: 'soon' });
  await call('POST', '/api/v1/time-entries', member.token, '{"hours": ');
  await call('POST', '/api/v1/time-entries', undefined, { entity_type: 'task', entity_id: task, hours: 1, log_date: day });
  await call('GET', `/api/v1/time-entries/${entry}`, member.token);
  await call('GET', '/api/v1/time-entries/te_nothing', member.token);
  const page = await call('GET', `/api/v1/time-entries?from=${day}&to=${day}&limit=1`, member.token);
  if (page.json?.pagination?.next_cursor) await call('GET', `/api/v1/time-entries?limit=1&starting_after=${page.json.pagination.next_cursor}`, member.token);
  await call('GET', '/api/v1/time-entries?starting_after=garbage', member.token);
  await call('GET', '/api/v1/time-entries?total=exact&limit=1', member.token);
  await call('GET', '/api/v1/time-entries?total=estimate', member.token);
  await call('GET', '/api/v1/time-entries?updated_since=2026-01-01T00:00:00Z', member.token);
  await call('GET', '/api/v1/time-entries?from=yesterday', member.token);
  await call('GET', `/api/v1/time-entries.csv?from=${day}&to=${day}`, member.token);
  await call('PATCH', `/api/v1/time-entries/${entry}`, member.token, { hours: 2, description: 'Kickoff workshop' });
  await call('PATCH', `/api/v1/time-entries/${entry}`, member.token, { hours: -1 });
  const gone = await call('POST', '/api/v1/time-entries', member.token, { entity_type: 'task', entity_id: task, hours: 0.5, log_date: day });
  await call('DELETE', `/api/v1/time-entries/${gone.json.data.id}`, member.token);
  // A retry with one Idempotency-Key: the stored answer, then the key reused for another body.
  const key = { 'idempotency-key': `openapi-${Date.now()}` };
  await call('POST', '/api/v1/time-entries', member.token, { entity_type: 'task', entity_id: task, hours: 0.25, log_date: day }, key);
  await call('POST', '/api/v1/time-entries', member.token, { entity_type: 'task', entity_id: task, hours: 0.25, log_date: day }, key);
  await call('POST', '/api/v1/time-entries', member.token, { entity_type: 'task', entity_id: task, hours: 0.75, log_date: day }, key);

  // The timer.
  await call('GET', '/api/v1/time/timer/active', member.token);
  await call('POST', '/api/v1/time/timer/stop', member.token);
  await call('POST', '/api/v1/time/timer/start', member.token, { entity_type: 'task', entity_id: task });
  await call('POST', '/api/v1/time/timer/start', member.token, { entity_type: 'nothing' });
  await call('GET', '/api/v1/time/timer/active', member.token);
  await call('POST', '/api/v1/time/timer/stop', member.token);

  // Timesheets: list, read, notes, submit, reject, resubmit, approve, refusals.
  const sheets = await call('GET', `/api/v1/timesheets?user_id=${member.id}`, member.token);
  const sheet = sheets.json.data.find((t) => t.period_start <= day && t.period_end >= day).id;
  await call('GET', `/api/v1/timesheets/${sheet}`, member.token);
  await call('GET', '/api/v1/timesheets/ts_nothing', member.token);
  await call('GET', '/api/v1/timesheets?updated_since=2026-01-01T00:00:00Z', manager.token);
  await call('PATCH', `/api/v1/timesheets/${sheet}`, member.token, { notes: 'Workshop week' });
  await call('POST', `/api/v1/timesheets/${sheet}/approve`, member.token);
  await call('POST', `/api/v1/timesheets/${sheet}/submit`, member.token);
  await call('POST', `/api/v1/timesheets/${sheet}/submit`, member.token);
  await call('POST', `/api/v1/timesheets/${sheet}/reject`, manager.token, {});
  await call('POST', `/api/v1/timesheets/${sheet}/reject`, manager.token, { reason: 'Split the workshop' });
  await call('POST', `/api/v1/timesheets/${sheet}/submit`, member.token);
  await call('POST', `/api/v1/timesheets/${sheet}/approve`, manager.token);

  // Settings and rates.
  await call('GET', '/api/v1/time/settings', member.token);
  await call('PATCH', '/api/v1/time/settings', member.token, { rounding: 'up' });
  await call('PATCH', '/api/v1/time/settings', admin.token, { rounding: 'up', rounding_minutes: 15 });
  await call('PATCH', '/api/v1/time/settings', admin.token, { rounding_minutes: 7 });
  await call('GET', '/api/v1/time/rates', admin.token);
  await call('GET', '/api/v1/time/rates', member.token);
  const rate = await call('POST', '/api/v1/time/rates', admin.token, { project_id: project, hourly_rate: 15000, currency: 'USD' });
  await call('POST', '/api/v1/time/rates', admin.token, { hourly_rate: -5 });
  if (rate.json?.data?.id) await call('DELETE', `/api/v1/time/rates/${rate.json.data.id}`, admin.token);
  await call('DELETE', '/api/v1/time/rates/rate_nothing', admin.token);

  // Reports and rollups.
  await call('GET', '/api/v1/time/reports/summary?from=2026-03-01&to=2026-03-31', manager.token);
  await call('GET', '/api/v1/time/reports/summary?from=2026-03-31&to=2026-03-01', manager.token);
  await call('GET', '/api/v1/time/reports/summary.csv?from=2026-03-01&to=2026-03-31', manager.token);
  await call('GET', `/api/v1/time/reports/estimate-vs-actual?project_id=${project}`, manager.token);
  await call('GET', `/api/v1/time/reports/utilization?from=2026-03-01&to=2026-03-31&user_id=${member.id}`, manager.token);
  await call('GET', `/api/v1/time/rollups/tasks?project_id=${project}`, manager.token);
  await call('GET', `/api/v1/time/rollups/task/${task}`, manager.token);
  await call('GET', '/api/v1/time/rollups/spaceship/x', manager.token);

  // The invoice bridge: a preview, then the pull, then its refusal.
  const invoice = demo.invoices[0].id;
  await call('POST', `/api/v1/invoices/${invoice}/pull-from-time`, admin.token, { from: '2026-03-01', to: '2026-03-31', preview: true });
  await call('POST', `/api/v1/invoices/${invoice}/pull-from-time`, member.token, { from: '2026-03-01', to: '2026-03-31' });

  // Calendar connections (the feed itself is never fetched here).
  await call('GET', '/api/v1/time/calendar-connections', member.token);
  const conn = await call('POST', '/api/v1/time/calendar-connections', member.token, { url: 'https://calendar.example.test/feed.ics', name: 'Work' });
  await call('POST', '/api/v1/time/calendar-connections', member.token, { url: 'ftp://nowhere' });
  await call('GET', '/api/v1/time/calendar-imports', member.token);
  if (conn.json?.data?.id) await call('DELETE', `/api/v1/time/calendar-connections/${conn.json.data.id}`, member.token);

  // Webhooks: create, read, edit, test, deliveries, retry, replay, rotate, delete.
  const hook = await call('POST', '/api/v1/time/webhooks', admin.token, { url: 'http://127.0.0.1:9/hook', events: ['time_entry.created'] });
  assert.equal(hook.status, 201, hook.text);
  const hid = hook.json.data.id;
  await call('POST', '/api/v1/time/webhooks', admin.token, { url: 'not a url', events: [] });
  await call('POST', '/api/v1/time/webhooks', member.token, { url: 'http://127.0.0.1:9/hook', events: ['time_entry.created'] });
  await call('GET', '/api/v1/time/webhooks', admin.token);
  await call('GET', `/api/v1/time/webhooks/${hid}`, admin.token);
  await call('PATCH', `/api/v1/time/webhooks/${hid}`, admin.token, { events: ['time_entry.created', 'timesheet.approved'] });
  await call('POST', `/api/v1/time/webhooks/${hid}/test`, admin.token);
  const deliveries = await call('GET', `/api/v1/time/webhooks/${hid}/deliveries`, admin.token);
  const delivery = deliveries.json?.data?.[0]?.id;
  if (delivery) await call('POST', `/api/v1/time/webhooks/${hid}/deliveries/${delivery}/retry`, admin.token);
  await call('POST', `/api/v1/time/webhooks/${hid}/deliveries/replay`, admin.token, { from: '2026-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z' });
  await call('POST', `/api/v1/time/webhooks/${hid}/rotate-secret`, admin.token, { overlap_hours: 1 });
  await call('DELETE', `/api/v1/time/webhooks/${hid}`, admin.token);
  await call('GET', `/api/v1/time/webhooks/${hid}`, admin.token);

  // Notifications and saved views.
  const notes = await call('GET', '/api/v1/notifications', member.token);
  const note = notes.json?.data?.[0]?.id;
  await call('POST', `/api/v1/notifications/${note ?? 'ntf_nothing'}/read`, member.token);
  const view = await call('POST', '/api/v1/time/saved-views', manager.token, { name: 'Weekly team hours', filters: { range: 'last_week' }, recipients: ['ana@example.test'], schedule: 'weekly' });
  await call('POST', '/api/v1/time/saved-views', manager.token, { name: '', filters: {} });
  await call('GET', '/api/v1/time/saved-views', manager.token);
  if (view.json?.data?.id) {
    await call('GET', `/api/v1/time/saved-views/${view.json.data.id}`, manager.token);
    await call('PATCH', `/api/v1/time/saved-views/${view.json.data.id}`, manager.token, { name: 'Team hours' });
    await call('DELETE', `/api/v1/time/saved-views/${view.json.data.id}`, manager.token);
  }

  // The AI doors: tools, a write tool's confirmation, its redemption and replay.
  await call('GET', '/api/ai/tools', member.token);
  await call('GET', '/api/ai/tools?format=openai', member.token);
  const prepared = await call('POST', '/api/ai/tools/log_time_entry', member.token, { entity_type: 'task', entity_id: task, hours: 1, log_date: day });
  await call('POST', '/api/ai/tools/no_such_tool', member.token, {});
  const token = prepared.json?.data?.structuredContent?.confirmation_token;
  await call('POST', '/api/v1/ai/confirm', member.token, { confirmation_token: token });
  await call('POST', '/api/v1/ai/confirm', member.token, { confirmation_token: token });
  await call('POST', '/api/v1/ai/confirm', member.token, { confirmation_token: 'wtc1.nothing.here' });
  await call('GET', '/api/ai/conversations', member.token);

  // Crons over HTTP.
  await call('GET', '/api/cron/time-timer-nudges', undefined, undefined, { authorization: `Bearer ${CRON_SECRET}` });
  await call('POST', '/api/cron/time-timer-nudges', undefined, undefined, { authorization: `Bearer ${CRON_SECRET}` });
  await call('POST', '/api/cron/no-such-job', undefined, undefined, { authorization: `Bearer ${CRON_SECRET}` });
  await call('POST', '/api/cron/time-timer-nudges', undefined, undefined, { authorization: 'Bearer wrong' });

  const missing = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const method of Object.keys(ops).filter((m) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))) {
      const name = `${method.toUpperCase()} ${path}`;
      if (!seen.has(name) && !SKIPPED[name]) missing.push(name);
    }
  console.log(`openapi: ${seen.size} operations exercised, ${Object.keys(SKIPPED).length} covered elsewhere; ${problems.length} problems`);
  assert.deepEqual(problems, [], `answers that disagree with schemas/openapi.json:\n${problems.join('\n')}`);
  assert.deepEqual(missing, [], 'operations of the document the tour does not reach (add them, or to SKIPPED with the reason)');
});
