// End-to-end: the official MCP TypeScript SDK clients against `workestra-time
// mcp` (stdio) and `serve` (/mcp, Streamable HTTP): v1 (@modelcontextprotocol/sdk)
// in the session era (initialize, 2025-11-25), v2 (@modelcontextprotocol/client)
// pinned to the stateless era (2026-07-28). Needs DATABASE_URL (a throwaway
// cluster: scripts/test-pg.sh) and WT_BIN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';

const BIN = process.env.WT_BIN ?? '../../build/workestra-time';
const SECRET = 'e2e-confirmation-secret-key';
const env = { ...process.env, WORKESTRA_SECRET_KEY: SECRET };
const TOOLS = ['approve_timesheet', 'convert_time_to_invoice_lines', 'find_work_items', 'get_active_timer', 'get_my_timesheet',
  'get_utilization', 'log_time_entry', 'reject_timesheet', 'start_timer', 'stop_timer', 'submit_timesheet'];

const cli = (...args) => JSON.parse(execFileSync(BIN, args, { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
let ws, member, manager, demo, server, base;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function user(role) {
  const u = cli('admin', 'user', 'create', '--workspace', ws, '--email', `${role}-${ws}@example.test`, '--role', role);
  return { id: u.id, token: cli('admin', 'token', 'create', '--user', u.id).token };
}

before(async () => {
  ws = cli('admin', 'workspace', 'create', '--name', 'E2E', '--plan', 'free').id;
  member = user('member');
  manager = user('manager');
  demo = cli('admin', 'demo', '--workspace', ws);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve'], { env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve did not start');
});

after(async () => {
  server.kill('SIGTERM');
  const code = await new Promise((resolve) => server.on('exit', resolve));
  assert.equal(code, 0, 'serve exits 0 on SIGTERM');
});

async function rest(method, path, token, body) {
  const r = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = r.status === 204 ? null : await r.json();
  if (process.env.E2E_DEBUG) console.error(method, path, r.status, JSON.stringify(json).slice(0, 300));
  return { status: r.status, json };
}

// answer: undefined for a client without elicitation, else what its
// elicitation handler says ('accept', 'decline'); asked collects the requests.
async function connect(kind, token, answer, asked = []) {
  const client = new Client({ name: 'workestra-e2e', version: '1.0.0' },
    answer ? { capabilities: { elicitation: { form: {} } } } : undefined);
  if (answer) client.setRequestHandler(ElicitRequestSchema, async (req) => { asked.push(req.params); return { action: answer, content: {} }; });
  const transport = kind === 'stdio'
    ? new StdioClientTransport({ command: BIN, args: ['mcp'], env: { ...env, WORKESTRA_TOKEN: token }, stderr: 'ignore' })
    : new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return client;
}

async function call(client, name, args = {}) {
  const r = await client.callTool({ name, arguments: args });
  // A result's text is its structuredContent as JSON; a failure's text is "code: message".
  if (r.isError) assert.match(r.content[0].text, /^[a-z_]+: /);
  else assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent);
  return r;
}

async function prepared(client, name, args) {
  const r = await call(client, name, args);
  assert.ok(!r.isError, r.content[0].text);
  assert.equal(r.structuredContent.requires_confirmation, true);
  assert.match(r.structuredContent.summary, /\w/);
  return r.structuredContent;
}

const confirm = (token, confirmation_token) => rest('POST', '/api/v1/ai/confirm', token, { confirmation_token });

function forge(claims) {
  const key = createHmac('sha256', SECRET).update('workestra confirmation tokens v1').digest();
  const signed = 'wtc1.' + Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
}

for (const [kind, day] of [['stdio', '2026-03-04'], ['http', '2026-03-11']]) {
  test(`${kind}: eleven tools, read answers, confirmations`, async () => {
    const m = await connect(kind, member.token);
    const boss = await connect(kind, manager.token);
    try {
      // The session era: initialize answered 2025-11-25 and, over HTTP, a session.
      if (kind === 'http') {
        assert.match(m.transport.sessionId ?? '', /^[0-9a-f]{64}$/);
        assert.equal(m.transport.protocolVersion, '2025-11-25');
      }
      const { tools } = await m.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
      for (const t of tools) assert.equal(typeof t.annotations.readOnlyHint, 'boolean');

      assert.equal((await call(m, 'get_active_timer')).structuredContent.running, false);
      const week = (await call(m, 'get_my_timesheet', { period_start: day })).structuredContent;
      assert.equal(week.by_day.length, 7);
      const util = await call(m, 'get_utilization', { from: '2026-03-01', to: '2026-03-31' });
      assert.equal(util.isError, true);
      assert.match(util.content[0].text, /plan_required/);
      const inv = await call(m, 'convert_time_to_invoice_lines', { invoice_id: demo.invoices[0].id, from: '2026-02-01', to: '2026-02-28' });
      assert.equal(inv.isError, true);

      // "Log 2 hours on the Acme kickoff task": the record is found by words, not typed as an id.
      const found = (await call(m, 'find_work_items', { query: 'acme kickoff', types: ['task'] })).structuredContent;
      assert.equal(found.items[0].id, demo.tasks[0].id);
      assert.equal(found.items[0].type, 'task');
      assert.equal(found.items[0].project.name, 'Acme onboarding');

      // log_time_entry: nothing until confirmed; then once; replay, tamper refused.
      const before = (await rest('GET', `/api/v1/time-entries?from=${day}&to=${day}`, member.token)).json.pagination.total;
      const log = await prepared(m, 'log_time_entry', { entity_type: found.items[0].type, entity_id: found.items[0].id, hours: 2, log_date: day });
      assert.equal((await rest('GET', `/api/v1/time-entries?from=${day}&to=${day}`, member.token)).json.pagination.total, before);
      const tampered = log.confirmation_token.replace(/\.(.)/, (s, c) => '.' + (c === 'A' ? 'B' : 'A'));
      assert.equal((await confirm(member.token, tampered)).json.error.code, 'invalid_confirmation');
      assert.equal((await confirm(manager.token, log.confirmation_token)).status, 403);
      assert.equal((await confirm(member.token, log.confirmation_token)).status, 200);
      assert.equal((await rest('GET', `/api/v1/time-entries?from=${day}&to=${day}`, member.token)).json.pagination.total, before + 1);
      const replay = await confirm(member.token, log.confirmation_token);
      assert.equal(replay.status, 409);
      assert.equal(replay.json.error.code, 'confirmation_used');

      // Expired, though correctly signed.
      const now = Math.floor(Date.now() / 1000);
      const old = forge({ v: 1, jti: `e2e-${kind}-${now}`, uid: member.id, ws, act: 'stop_timer', tgt: null, body: null, iat: now - 700, exp: now - 100 });
      assert.equal((await confirm(member.token, old)).json.error.code, 'confirmation_expired');

      // Timer: start and stop, each only once confirmed.
      const start = await prepared(m, 'start_timer', { entity_type: 'task', entity_id: demo.tasks[0].id });
      assert.equal((await rest('GET', '/api/v1/time/timer/active', member.token)).json.data, null);
      assert.equal((await confirm(member.token, start.confirmation_token)).status, 200);
      assert.equal((await call(m, 'get_active_timer')).structuredContent.running, true);
      const stop = await prepared(m, 'stop_timer');
      assert.notEqual((await rest('GET', '/api/v1/time/timer/active', member.token)).json.data, null);
      assert.equal((await confirm(member.token, stop.confirmation_token)).status, 200);
      assert.equal((await rest('GET', '/api/v1/time/timer/active', member.token)).json.data, null);

      // Timesheet: submit, reject with a reason, resubmit, approve.
      const submit = await prepared(m, 'submit_timesheet', { period_start: day });
      const ts = submit.preview.timesheet.id;
      assert.equal((await rest('GET', `/api/v1/timesheets/${ts}`, member.token)).json.data.status, 'draft');
      assert.equal((await confirm(member.token, submit.confirmation_token)).status, 200);
      assert.equal((await call(m, 'approve_timesheet', { timesheet_id: ts })).isError, true);
      const reject = await prepared(boss, 'reject_timesheet', { timesheet_id: ts, reason: 'add descriptions' });
      assert.equal((await rest('GET', `/api/v1/timesheets/${ts}`, member.token)).json.data.status, 'submitted');
      assert.equal((await confirm(manager.token, reject.confirmation_token)).status, 200);
      const again = await prepared(m, 'submit_timesheet', { timesheet_id: ts });
      assert.equal((await confirm(member.token, again.confirmation_token)).status, 200);
      const approve = await prepared(boss, 'approve_timesheet', { timesheet_id: ts });
      assert.equal((await rest('GET', `/api/v1/timesheets/${ts}`, member.token)).json.data.status, 'submitted');
      assert.equal((await confirm(manager.token, approve.confirmation_token)).status, 200);
      assert.equal((await rest('GET', `/api/v1/timesheets/${ts}`, member.token)).json.data.status, 'approved');

      // Prompts and completions.
      const { prompts } = await m.listPrompts();
      assert.ok(prompts.length >= 4);
      const got = await m.getPrompt({ name: 'bill_last_month', arguments: { customer: 'Acme' } });
      assert.match(got.messages[0].content.text, /Acme/);
      const done = await m.complete({ ref: { type: 'ref/prompt', name: 'log_my_day' }, argument: { name: 'project', value: 'a' } });
      assert.ok(done.completion.values.every((v) => v.toLowerCase().startsWith('a')));
      assert.ok(done.completion.values.length >= 1);
      // Task titles complete through the find_work_items search: words of the project count too.
      const tasks = await m.complete({ ref: { type: 'ref/prompt', name: 'log_my_day' }, argument: { name: 'task', value: 'acme' } });
      assert.ok(tasks.completion.values.includes('Kickoff workshop'), JSON.stringify(tasks.completion));
      await m.setLoggingLevel('debug');
      await m.ping();
    } finally {
      await m.close();
      await boss.close();
    }
  });
}

// The stateless era with the v2 client pinned to 2026-07-28: server/discover
// at connect, then every request carries its version and capabilities in
// _meta, with no initialize and no Mcp-Session-Id.
for (const kind of ['stdio', 'http']) {
  test(`${kind}: v2 client, 2026-07-28 (stateless)`, async () => {
    const sessionIds = [];
    const seen = (init) => { const h = new Headers(init?.headers); if (h.has('mcp-session-id')) sessionIds.push(h.get('mcp-session-id')); };
    const client = new ClientV2({ name: 'workestra-e2e-v2', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const transport = kind === 'stdio'
      ? new StdioV2({ command: BIN, args: ['mcp'], env: { ...env, WORKESTRA_TOKEN: member.token }, stderr: 'ignore' })
      : new HttpV2(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${member.token}` } },
        fetch: async (url, init) => { seen(init); const r = await fetch(url, init); if (r.headers.has('mcp-session-id')) sessionIds.push('answer'); return r; },
      });
    await client.connect(transport);
    try {
      const discovered = client.getDiscoverResult();
      assert.ok(discovered, 'connected through server/discover');
      assert.equal(discovered.supportedVersions[0], '2026-07-28');
      assert.ok(discovered.capabilities.tools);
      assert.equal(client.getServerVersion().name, 'workestra-time');
      assert.match(client.getInstructions() ?? '', /Workestra/);

      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
      const week = await client.callTool({ name: 'get_my_timesheet', arguments: { period_start: '2026-03-18' } });
      assert.ok(!week.isError, week.content[0]?.text);
      assert.equal(week.structuredContent.by_day.length, 7);
      const timer = await client.callTool({ name: 'get_active_timer', arguments: {} });
      assert.ok(!timer.isError, timer.content[0]?.text);
      assert.equal(typeof timer.structuredContent.running, 'boolean');
    } finally {
      await client.close();
    }
    assert.deepEqual(sessionIds, [], 'no session in the stateless era');
  });
}

// The card inside the client: a form elicitation that says what will change;
// accept runs the change as the user (source ai_tool), decline changes nothing.
const entriesOn = async (token, day) => (await rest('GET', `/api/v1/time-entries?from=${day}&to=${day}`, token)).json.pagination.total;

function checkCard(asked) {
  assert.equal(asked.length, 1, 'one confirmation asked');
  assert.match(asked[0].message, /Log 1\.25 h on task/);
  assert.match(asked[0].message, /Who: you/);
  assert.match(asked[0].message, /Project: project "Acme onboarding"/);
  assert.match(asked[0].message, /Hours: 1\.25/);
  assert.equal(asked[0].requestedSchema.type, 'object');
}

async function confirmInClient(callTool, day, answer, asked) {
  const before = await entriesOn(member.token, day);
  const r = await callTool({ name: 'log_time_entry', arguments: { entity_type: 'task', entity_id: demo.tasks[0].id, hours: 1.25, log_date: day } });
  assert.ok(!r.isError, r.content[0]?.text);
  checkCard(asked);
  const sc = r.structuredContent;
  assert.equal(sc.requires_confirmation, false);
  if (answer === 'accept') {
    assert.equal(sc.status, 'confirmed');
    assert.equal(sc.result.source, 'ai_tool');
    assert.equal(sc.result.user_id, member.id);
    assert.equal(await entriesOn(member.token, day), before + 1);
  } else {
    assert.equal(sc.status, 'declined');
    assert.match(r.content[0].text, /nothing changed/);
    assert.equal(await entriesOn(member.token, day), before);
  }
}

for (const [kind, day] of [['stdio', '2026-04-06'], ['http', '2026-04-07']]) {
  for (const answer of ['accept', 'decline']) {
    test(`${kind}: v1 client, 2025-11-25, elicitation answered ${answer}`, async () => {
      const asked = [];
      const m = await connect(kind, member.token, answer, asked);
      try {
        await confirmInClient((p) => m.callTool(p), day, answer, asked);
      } finally {
        await m.close();
      }
    });
  }
}

for (const [kind, day] of [['stdio', '2026-04-08'], ['http', '2026-04-09']]) {
  for (const answer of ['accept', 'decline']) {
    test(`${kind}: v2 client, 2026-07-28, input_required answered ${answer}`, async () => {
      const asked = [];
      const client = new ClientV2({ name: 'workestra-e2e-v2', version: '1.0.0' },
        { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
      client.setRequestHandler('elicitation/create', async (req) => { asked.push(req.params); return { action: answer, content: {} }; });
      const transport = kind === 'stdio'
        ? new StdioV2({ command: BIN, args: ['mcp'], env: { ...env, WORKESTRA_TOKEN: member.token }, stderr: 'ignore' })
        : new HttpV2(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${member.token}` } } });
      await client.connect(transport);
      try {
        await confirmInClient((p) => client.callTool(p), day, answer, asked);
      } finally {
        await client.close();
      }
    });
  }
}

// The session era over HTTP asks without holding a worker: more people than
// the server has workers (4) wait on their cards at once, the server answers
// others meanwhile, and each answer settles its own call. (Were each wait to
// hold a worker, at most 2 cards could be out and the rest would get tokens.)
test('http: v1 client, 2025-11-25, eight cards wait at once, none holding a worker', async () => {
  const N = 8, day = '2026-04-21';
  const asked = [];
  let open, allOut;
  const gate = new Promise((r) => { open = r; });
  const out = new Promise((r) => { allOut = r; });
  const clients = [];
  try {
    for (let i = 0; i < N; i++) {
      const c = new Client({ name: `workestra-e2e-${i}`, version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
      c.setRequestHandler(ElicitRequestSchema, async (req) => {
        asked.push(req.params);
        if (asked.length === N) allOut();
        await gate;
        return { action: i % 2 ? 'decline' : 'accept', content: {} };
      });
      await c.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${member.token}` } } }));
      clients.push(c);
    }
    const before = await entriesOn(member.token, day);
    const calls = clients.map((c) => c.callTool({ name: 'log_time_entry', arguments: { entity_type: 'task', entity_id: demo.tasks[0].id, hours: 1.25, log_date: day } }));
    await Promise.race([out, new Promise((r) => setTimeout(r, 20000))]);
    assert.equal(asked.length, N, 'every card is out at once');
    assert.equal((await rest('GET', '/api/v1/me', member.token)).status, 200, 'the server answers meanwhile');
    assert.equal(await entriesOn(member.token, day), before, 'nothing before the answers');
    open();
    const results = await Promise.all(calls);
    results.forEach((r, i) => assert.equal(r.structuredContent.status, i % 2 ? 'declined' : 'confirmed', `call ${i}`));
    assert.equal(await entriesOn(member.token, day), before + N / 2, 'each accept made one entry');
  } finally {
    open();
    await Promise.all(clients.map((c) => c.close()));
  }
});

test('a v2 client without elicitation gets the token path', async () => {
  const client = new ClientV2({ name: 'workestra-e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new HttpV2(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${member.token}` } } }));
  try {
    const r = await client.callTool({ name: 'log_time_entry', arguments: { entity_type: 'task', entity_id: demo.tasks[0].id, hours: 1, log_date: '2026-04-10' } });
    assert.equal(r.structuredContent.requires_confirmation, true);
    assert.equal(r.structuredContent.status, 'pending');
    assert.equal(await entriesOn(member.token, '2026-04-10'), 0);
    assert.equal((await confirm(member.token, r.structuredContent.confirmation_token)).status, 200);
    assert.equal(await entriesOn(member.token, '2026-04-10'), 1);
  } finally {
    await client.close();
  }
});
