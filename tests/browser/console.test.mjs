// The web console in a real browser: Debian's chromium, headless, driven by
// puppeteer-core against a real `serve` on the throwaway PostgreSQL
// (scripts/test-pg.sh) with a demo workspace. Every flow saves a screenshot
// under $SHOTS (build/browser); every page is checked with axe-core (no
// serious or critical violation), at 375 px wide (nothing wider than the
// screen), and for Content-Security-Policy violations and script errors.
// The AI chat talks to the scripted OpenAI-compatible model server of the
// chat's tests (build/tests/model-server), whose replies are set below.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { SHOTS, axeViolations, cli as runCli, launchBrowser, restAt, startServe as serveWith, stopServe } from './harness.mjs';

const MODEL_SERVER = process.env.MODEL_SERVER ?? '../../build/tests/model-server';
const JWT_SECRET = 'browser-test-jwt-secret';
const env = { ...process.env, WORKESTRA_SECRET_KEY: 'browser-test-secret-key', WORKESTRA_JWT_SECRET: JWT_SECRET };

const cli = (...args) => runCli(env, ...args);
let base, server, receiver, browser, model, users = {}, demo, freeAdmin;
const received = { ok: 0, flaky: 0 };
const problems = []; // CSP violations, page errors, console errors: none allowed

const day = (offset = 0) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

// A session JWT as the product's sign-in would issue it (HS256, sub = user id).
function jwt(sub) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 600 })}`;
  return `${signed}.${createHmac('sha256', JWT_SECRET).update(signed).digest('base64url')}`;
}

const rest = (...args) => restAt(base)(...args);

before(async () => {
  const ws = cli('admin', 'workspace', 'create', '--name', 'Browser', '--plan', 'pro', '--modules', 'projects,finance,people').id;
  for (const [role, name] of [['admin', 'Ada Admin'], ['manager', 'Max Manager'], ['member', 'Mia Member']]) {
    const u = cli('admin', 'user', 'create', '--workspace', ws, '--email', `${role}-${ws}@example.test`, '--name', name, '--role', role);
    users[role] = { id: u.id, name, role, token: cli('admin', 'token', 'create', '--user', u.id).token };
  }
  demo = cli('admin', 'demo', '--workspace', ws);
  const cu = cli('admin', 'user', 'create', '--workspace', ws, '--email', `chat-${ws}@example.test`, '--name', 'Cy Chat', '--role', 'member');
  users.chat = { id: cu.id, name: 'Cy Chat', role: 'member', token: cli('admin', 'token', 'create', '--user', cu.id).token };
  const free = cli('admin', 'workspace', 'create', '--name', 'Browser free', '--plan', 'free').id;
  const fa = cli('admin', 'user', 'create', '--workspace', free, '--email', `admin-${free}@example.test`, '--name', 'Fay Free', '--role', 'admin');
  freeAdmin = cli('admin', 'token', 'create', '--user', fa.id).token;
  // The webhook receiver: /ok answers 200; /flaky answers 500 once, then 200.
  receiver = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const which = req.url === '/flaky' ? 'flaky' : 'ok';
      received[which]++;
      const fail = which === 'flaky' && received.flaky === 1;
      res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain' }).end(fail ? 'receiver down' : 'thanks');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  model = await startModel(chatScript());
  ({ proc: server, base } = await startServe({
    WEBHOOK_ALLOW_PRIVATE: 'on', AI_BASE_URL: `http://127.0.0.1:${model.port}/v1`, AI_API_KEY: 'sk-browser-test',
    AI_MODEL: 'scripted-1', AI_MAX_RETRIES: '0', AI_CHAT_RATE: String(CHAT_RATE),
  }));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  receiver?.close();
  if (server) assert.equal(await stopServe(server), 0, 'serve exits 0 on SIGTERM');
  model?.proc.stdin.end(); // the model server stops when its stdin closes
});

// A serve with the test's environment and extra.
const startServe = (extra) => serveWith(env, extra);

// The scripted model server (`model-server 0 STEP...`), which prints
// "ready PORT" once listening and serves the steps in order.
function startModel(steps) {
  const proc = spawn(MODEL_SERVER, ['0', ...steps.map((x) => JSON.stringify(x))], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`model-server exited ${code}`)));
  });
}

async function newPage() {
  problems.length = 0;
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  // Added by the browser, not the page, so the CSP does not apply to it.
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A refused API call is logged by chromium as a failed resource; the page shows it itself.
    if (m.type() === 'error' && !/status of (4\d\d)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return page;
}

const shot = (page, name) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

// axe-core in the page (evaluated through the DevTools protocol, which the
// CSP does not govern), then the page at 375 px must not scroll sideways.
async function checkPage(page, label) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${label}: axe found serious or critical violations`);
  const vp = page.viewport();
  await page.setViewport({ width: 375, height: 800 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `${label}: ${width} px wide at a 375 px screen`);
  await shot(page, `${label}-375`);
  await page.setViewport(vp);
  assert.deepEqual(problems, [], `${label}: no CSP violation or script error`);
}

async function signIn(page, who, credential = users[who].token, at = base) {
  await page.goto(`${at}/time`);
  const input = await page.waitForSelector('#main input[type="password"]');
  await input.type(credential);
  await page.keyboard.press('Enter'); // the form submits by keyboard
  await page.waitForSelector('.who-name');
  if (who) {
    assert.equal(await page.$eval('.who-name', (e) => e.textContent), users[who].name);
    assert.equal(await page.$eval('.who .badge', (e) => e.textContent), users[who].role);
  }
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);
const click = async (page, sel) => (await page.waitForSelector(sel)).click();
const waitText = (page, sel, re) => page.waitForFunction((s, src) => {
  const el = document.querySelector(s);
  return el && new RegExp(src).test(el.textContent);
}, {}, sel, re.source);

test('console: served with its security headers; sign in keeps the token out of the URL; sign out', async () => {
  const r = await fetch(`${base}/time`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy'), /script-src 'self'/);
  assert.doesNotMatch(r.headers.get('content-security-policy'), /unsafe-inline/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  const api404 = await fetch(`${base}/api/v1/nope`);
  assert.equal(api404.status, 404);
  assert.equal((await api404.json()).error.code, 'not_found');

  const page = await newPage();
  await page.goto(`${base}/`);
  await page.waitForSelector('#main input[type="password"]');
  await checkPage(page, 'signin');

  // A bad token is refused with the API's words.
  await page.type('#main input[type="password"]', 'tok_nope.nope');
  await page.keyboard.press('Enter');
  await waitText(page, '#main [role="alert"]', /unauthorized/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  await signIn(page, 'member');
  assert.ok(!page.url().includes('tok_'), 'the token is not in the URL');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('workestra.token')), users.member.token);
  const nav = await page.$$eval('#nav a', (as) => as.map((a) => a.textContent));
  assert.deepEqual(nav, ['Time', 'Chat', 'Integrations', 'API reference'], 'a member has no Approvals link');
  await shot(page, 'signed-in');

  await page.goto(`${base}/time/no/such/page`);
  await waitText(page, '#main h1', /No such page/);
  await checkPage(page, 'not-found');

  await click(page, 'xpath/.//button[normalize-space()="Sign out"]');
  await page.waitForSelector('#main input[type="password"]');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.ok(await page.$eval('#who', (e) => e.hidden));
  await shot(page, 'signed-out');

  // A session JWT signs in the same way; a reload keeps the tab signed in.
  await signIn(page, 'manager', jwt(users.manager.id));
  await page.reload();
  await page.waitForSelector('.who-name');
  assert.equal(await text(page, '.who-name'), 'Max Manager');
  await page.close();
});

test('time: start a timer on a record found by words, stop it', async () => {
  const page = await newPage();
  await signIn(page, 'member');
  await page.waitForSelector('#main input[type="search"]');
  await page.type('#main input[type="search"]', 'kickoff');
  await page.keyboard.press('Enter');
  const start = 'button[aria-label="Start timer on task Kickoff workshop"]';
  await page.waitForSelector(start);
  await checkPage(page, 'time-search');
  await page.type('#main input[type="text"]', 'Workshop prep');
  await click(page, start);
  await waitText(page, '#timer-running', /Running on task — Workshop prep/);
  const active = await rest('GET', '/api/v1/time/timer/active', users.member.token);
  assert.equal(active.json.data.entity_id, demo.tasks[0].id);
  assert.equal(active.json.data.description, 'Workshop prep');
  await shot(page, 'timer-running');
  await checkPage(page, 'time-running');

  // By keyboard: the focused button answers Enter.
  await (await page.waitForSelector('xpath/.//button[normalize-space()="Stop timer"]')).focus();
  await page.keyboard.press('Enter');
  await waitText(page, '#main [role="status"]', /Timer stopped/);
  assert.equal((await rest('GET', '/api/v1/time/timer/active', users.member.token)).json.data, null);
  await shot(page, 'timer-stopped');
  await page.close();
});

test('timesheets: the week by day and project, submitted, rejected without a reason refused, approved by a manager', async () => {
  const logged = await rest('POST', '/api/v1/time-entries', users.member.token,
    { entity_type: 'task', entity_id: demo.tasks[1].id, hours: 1.5, log_date: day(), description: 'Review' });
  assert.equal(logged.status, 201, JSON.stringify(logged.json));
  // Last week's, submitted through the API: the manager rejects it with a reason.
  const old = await rest('POST', '/api/v1/time-entries', users.member.token,
    { entity_type: 'task', entity_id: demo.tasks[1].id, hours: 2, log_date: day(-14), description: 'Old' });
  assert.equal(old.status, 201, JSON.stringify(old.json));
  assert.equal((await rest('POST', `/api/v1/timesheets/${old.json.data.timesheet_id}/submit`, users.member.token)).status, 200);
  const page = await newPage();
  await signIn(page, 'member');
  await waitText(page, '#week-status', /^draft$/);
  const rows = await page.$$eval('table.week tbody th', (ths) => ths.map((t) => t.textContent));
  assert.ok(rows.length >= 1 && !rows.some((r) => r.startsWith('prj_')), `rows are project names: ${rows}`);
  assert.match(await text(page, 'table.week tfoot'), /1\.50/);
  await checkPage(page, 'week-draft');
  await click(page, 'xpath/.//button[normalize-space()="Submit for approval"]');
  await waitText(page, '#week-status', /^submitted$/);
  await shot(page, 'week-submitted');
  await page.close();

  const boss = await newPage();
  await signIn(boss, 'manager');
  await click(boss, 'xpath/.//nav//a[normalize-space()="Approvals"]');
  const approve = `button[aria-label^="Approve Mia Member's timesheet"]`;
  await boss.waitForSelector(approve);
  await checkPage(boss, 'approvals');
  // Reject needs a reason: the page says so and sends nothing.
  await click(boss, `button[aria-label^="Reject Mia Member's timesheet"]`);
  await click(boss, 'xpath/.//button[normalize-space()="Reject timesheet"]');
  await waitText(boss, '#main [role="alert"]', /reason is required/);
  assert.equal(await boss.evaluate(() => document.activeElement.tagName), 'TEXTAREA');
  await checkPage(boss, 'approvals-reject');
  await click(boss, 'xpath/.//button[normalize-space()="Cancel"]');
  await boss.waitForFunction(() => !document.querySelector('#main textarea'));
  const oldRow = `tr[data-id="${old.json.data.timesheet_id}"]`;
  await click(boss, `${oldRow} button[aria-label^="Reject"]`);
  await boss.type(`${oldRow} textarea`, 'Please split the workshop hours by task.');
  await click(boss, `${oldRow} button[type="submit"]`);
  await waitText(boss, '#main [role="status"]', /Rejected Mia Member's timesheet/);
  const rejected = await rest('GET', `/api/v1/timesheets/${old.json.data.timesheet_id}`, users.member.token);
  assert.equal(rejected.json.data.status, 'rejected');
  assert.equal(rejected.json.data.rejection_reason, 'Please split the workshop hours by task.');
  await click(boss, approve);
  await waitText(boss, '#main [role="status"]', /Approved Mia Member's timesheet/);
  await shot(boss, 'approved');
  const sheets = await rest('GET', `/api/v1/timesheets?user_id=${users.member.id}&status=approved`, users.manager.token);
  assert.equal(sheets.json.data.length, 1);
  await waitText(boss, '#queue-h + p, #queue-h ~ p', /Nothing is waiting/);
  await boss.close();

  // The member's week now reads approved.
  const page2 = await newPage();
  await signIn(page2, 'member');
  await waitText(page2, '#week-status', /^approved$/);
  await page2.close();
});

test('integrations: create (secret once), test, delivery log, retry a failed one, edit, disable, delete', async () => {
  const page = await newPage();
  await signIn(page, 'admin');
  await page.goto(`${base}/time/settings/integrations`);
  await waitText(page, '#hooks-h', /Webhooks/);
  await page.type('input[type="url"]', `http://127.0.0.1:${receiver.address().port}/ok`);
  await click(page, 'xpath/.//label[normalize-space()="timer.started"]');
  await click(page, 'xpath/.//button[normalize-space()="Create webhook"]');
  const secret = await (await page.waitForSelector('#secret-value')).evaluate((e) => e.value);
  assert.ok(secret.length >= 16, 'the secret is shown');
  await click(page, 'xpath/.//button[normalize-space()="Copy secret"]');
  await page.waitForSelector('.secret-panel [role="status"], .secret-panel [role="alert"]');
  await shot(page, 'webhook-created');
  await checkPage(page, 'integrations-secret');

  await page.reload();
  await waitText(page, '#hooks-h', /Webhooks/);
  assert.equal(await page.$('#secret-value'), null, 'the secret is gone on reload');
  assert.ok(!(await page.content()).includes(secret), 'nowhere in the page');

  const okUrl = `http://127.0.0.1:${receiver.address().port}/ok`;
  await click(page, `button[aria-label="Send a test event for ${okUrl}"]`);
  await waitText(page, 'li.hook [role="status"]', /Test event delivered: answered 200/);
  await click(page, `button[aria-label="Show the delivery log for ${okUrl}"]`);
  await page.waitForSelector('li.delivery.delivery-delivered tr.outcome-delivered');
  const row = await text(page, 'li.delivery tr.outcome-delivered');
  assert.match(row, /delivered/);
  assert.match(row, /200/);
  assert.match(row, /thanks/);
  await click(page, 'li.delivery details summary');
  assert.match(await text(page, 'li.delivery pre.payload'), /"event": "webhook.test"/);
  await shot(page, 'delivery-log');
  const hook = await page.$('li.hook');
  await hook.screenshot({ path: `${SHOTS}/delivery-log-webhook.png` });
  await checkPage(page, 'integrations-log');

  // A receiver that fails once: the test attempt is a 500, Retry delivers it.
  const flakyUrl = `http://127.0.0.1:${receiver.address().port}/flaky`;
  await page.type('input[type="url"]', flakyUrl);
  await click(page, 'xpath/.//label[normalize-space()="timesheet.approved"]');
  await click(page, 'xpath/.//button[normalize-space()="Create webhook"]');
  await click(page, 'xpath/.//button[normalize-space()="Done"]');
  await click(page, `button[aria-label="Send a test event for ${flakyUrl}"]`);
  await waitText(page, `li.hook:last-of-type [role="alert"]`, /not delivered: answered 500/);
  await click(page, `button[aria-label="Show the delivery log for ${flakyUrl}"]`);
  await page.waitForSelector('li.hook:last-of-type li.delivery.delivery-failed');
  await click(page, 'li.hook:last-of-type li.delivery.delivery-failed button[aria-label^="Retry delivery"]');
  await waitText(page, 'li.hook:last-of-type .log [role="status"]', /: delivered, answered 200/);
  const attempts = await page.$$eval('li.hook:last-of-type li.delivery tbody tr', (trs) => trs.map((t) => t.className));
  assert.deepEqual(attempts, ['outcome-failed', 'outcome-delivered']);
  await shot(page, 'delivery-retried');

  // Edit the first webhook's events, disable it, delete the second.
  await click(page, `button[aria-label="Edit for ${okUrl}"]`);
  await click(page, 'xpath/.//form[contains(@class, "edit")]//label[normalize-space()="timer.stopped"]');
  await click(page, 'form.edit button[type="submit"]');
  await waitText(page, '#main [role="status"]', /Saved/);
  assert.match(await text(page, 'li.hook:first-of-type'), /timer.started, timer.stopped/);
  await click(page, `button[aria-label="Disable for ${okUrl}"]`);
  await waitText(page, 'li.hook:first-of-type .badge', /^disabled$/);
  await click(page, `button[aria-label="Delete for ${flakyUrl}"]`);
  await click(page, 'xpath/.//button[normalize-space()="Delete for good"]');
  await waitText(page, '#main [role="status"]', /Deleted the webhook/);
  const hooks = (await rest('GET', '/api/v1/time/webhooks', users.admin.token)).json.data;
  assert.deepEqual(hooks.map((w) => [w.url, w.enabled, w.events]), [[okUrl, false, ['timer.started', 'timer.stopped']]]);
  await checkPage(page, 'integrations-after');
  await page.close();
});

test('integrations: the API refusal is shown, not the settings (a member; an admin on the free plan)', async () => {
  const page = await newPage();
  await signIn(page, 'member');
  await page.goto(`${base}/time/settings/integrations`);
  await waitText(page, '#integrations-refusal', /Only workspace admins[\s\S]*forbidden/);
  assert.equal(await page.$('input[type="url"]'), null);
  await shot(page, 'integrations-refused');
  await checkPage(page, 'integrations-refused');
  await click(page, 'xpath/.//button[normalize-space()="Sign out"]');

  await signIn(page, null, freeAdmin);
  await page.goto(`${base}/time/settings/integrations`);
  await waitText(page, '#integrations-refusal', /Pro plan[\s\S]*plan_required/);
  assert.equal(await page.$('input[type="url"]'), null);
  await shot(page, 'integrations-plan-required');
  await page.close();
});

test('API reference: /openapi.json rendered, filtered, without signing in', async () => {
  const page = await newPage();
  await page.goto(`${base}/time/api`);
  await page.waitForSelector('details.op');
  await page.type('#main input[type="search"]', 'work-items');
  await page.waitForFunction(() => document.querySelectorAll('details.op').length === 1);
  await click(page, 'details.op summary');
  assert.match(await text(page, 'details.op'), /GET\s*\/api\/v1\/work-items/);
  assert.match(await text(page, 'details.op'), /limit/);
  await shot(page, 'api-reference');
  await checkPage(page, 'api-reference');
  await page.close();
});

// The chat's model replies, in the order the chat test asks: a question
// answered from a tool, then three writes, each a tool call that becomes a
// card and a line of text. With the script used up the model server answers
// 500 (a provider error; AI_MAX_RETRIES=0). AI_CHAT_RATE lets the person send
// the five messages that reach the model; the sixth is refused 429.
const CHAT_RATE = 5;
const CHAT_DAY = day(-1);
const WRITES = [['confirmed', 1.25], ['cancelled', 0.5], ['expired', 2]];

function chatScript() {
  const log = (description, hours) => ({
    tool_calls: [{
      name: 'log_time_entry',
      arguments: JSON.stringify({ entity_type: 'task', entity_id: demo.tasks[0].id, hours, log_date: CHAT_DAY, description: `Chat: ${description}` }),
    }],
  });
  return [
    { tool_calls: [{ name: 'find_work_items', arguments: '{"query":"kickoff"}' }] },
    { text: 'Kickoff workshop is a task of the Acme onboarding project.' },
    ...WRITES.flatMap(([d, hrs]) => [log(d, hrs), { text: `I prepared a card to log ${hrs} h; confirm it to save.` }]),
  ];
}

// Types a message into the chat, sends it by keyboard (Enter) and waits
// until the answer is complete or the message was refused.
async function say(page, message) {
  const shown = await page.$$eval('.msg', (m) => m.length);
  await page.focus('#main textarea');
  await page.keyboard.type(message);
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => !document.querySelector('.ask button[aria-busy], .msg[aria-busy]') &&
    (document.querySelectorAll('.msg').length > n || document.querySelector('.ask [role="alert"]')), {}, shown);
}

const cardButton = async (page, card, label) => (await page.waitForSelector(card)).$(`xpath/.//button[normalize-space()="${label}"]`);

async function chatEntries(description) {
  const r = await rest('GET', '/api/v1/time-entries?limit=100', users.chat.token);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.data.filter((e) => e.description === `Chat: ${description}`);
}

test('chat: an answer from a tool, a card confirmed, one cancelled, one expired; errors in words; conversations opened and deleted', async () => {
  const page = await newPage();
  await signIn(page, 'chat');
  await click(page, 'xpath/.//nav//a[normalize-space()="Chat"]');
  await waitText(page, '#main h1', /^Chat$/);
  assert.equal(new URL(page.url()).pathname, '/time/chat');
  await waitText(page, '#convs-h ~ p', /No conversations yet/);

  // A question the model answers from a tool: the call in one line, then the text.
  await say(page, 'What is the kickoff task?');
  assert.match(await text(page, '.msg-user'), /What is the kickoff task\?/);
  assert.equal(await text(page, '.tool .tool-name'), 'find_work_items');
  assert.match(await text(page, '.tool .tool-result'), /^\d+ found: .*Kickoff workshop/);
  assert.equal(await text(page, '.msg-assistant .msg-text'), 'Kickoff workshop is a task of the Acme onboarding project.');
  await waitText(page, '.convs', /What is the kickoff task\?/);
  assert.equal(await text(page, '#chat-h'), 'What is the kickoff task?');

  // A write: a card saying what will change, with the time left; nothing changed yet.
  await say(page, 'Log 1.25 h on it for yesterday');
  const card1 = '.msg-assistant:nth-of-type(4) .chat-card';
  assert.match(await text(page, `${card1} h3`), /^Log 1\.25 h on task "Kickoff workshop"/);
  const details = await page.$$eval(`${card1} .card-details li`, (lis) => lis.map((l) => l.textContent));
  assert.ok(details.includes('Who: you') && details.includes(`Date: ${CHAT_DAY}`) && details.some((d) => /^Hours: 1\.25/.test(d)), details.join(' | '));
  assert.match(await text(page, `${card1} .time-left`), /^Time left: \d+:\d\d \(until /);
  assert.equal(await page.$eval(`${card1}`, (e) => e.dataset.state), 'open');
  assert.deepEqual(await chatEntries('confirmed'), [], 'nothing is written before Confirm');
  await shot(page, 'chat-card');
  await checkPage(page, 'chat-card');
  // The README's picture: the conversation with its open card, at a phone-ish width.
  await page.setViewport({ width: 760, height: 900 });
  await page.evaluate(() => document.activeElement.blur());
  await (await page.$('section.chat')).screenshot({ path: `${SHOTS}/chat-card-docs.png` });
  await page.setViewport({ width: 1100, height: 900 });

  // Confirm by keyboard: the entry exists, made as the person from the card.
  await (await cardButton(page, card1, 'Confirm')).focus();
  await page.keyboard.press('Enter');
  await waitText(page, `${card1} .card-result`, /^Confirmed: logged 1\.25 h on \S+ \(entry te_/);
  assert.equal(await page.$eval(card1, (e) => e.dataset.state), 'confirmed');
  assert.ok(await page.$eval(`${card1} button`, (b) => b.disabled));
  const made = await chatEntries('confirmed');
  assert.equal(made.length, 1);
  assert.equal(made[0].source, 'ai_tool');
  assert.equal(Number(made[0].hours), 1.25);
  assert.equal(made[0].log_date, CHAT_DAY);
  await shot(page, 'chat-confirmed');

  // Another card, cancelled: nothing changes and its token is used up.
  await say(page, 'And 0.5 h more');
  const card2 = '.msg-assistant:nth-of-type(6) .chat-card';
  assert.match(await text(page, `${card2} h3`), /^Log 0\.50 h/);
  await (await cardButton(page, card2, 'Cancel')).click();
  await waitText(page, `${card2} .card-result`, /^Cancelled: nothing was changed/);
  assert.equal(await page.$eval(card2, (e) => e.dataset.state), 'declined');
  assert.deepEqual(await chatEntries('cancelled'), []);
  const convA = (await rest('GET', '/api/ai/conversations', users.chat.token)).json.data[0].id;
  const stored = (await rest('GET', `/api/ai/conversations/${convA}`, users.chat.token)).json.data;
  assert.deepEqual(stored.cards.map((k) => k.state), ['confirmed', 'declined'], 'the confirm was settled at the next turn');
  const replay = await rest('POST', '/api/v1/ai/confirm', users.chat.token, { confirmation_token: stored.cards[1].confirmation_token });
  assert.equal(replay.status, 409);
  assert.deepEqual(await chatEntries('cancelled'), []);
  await shot(page, 'chat-cancelled');

  // A new conversation whose card runs out: its offer ends (as 10 minutes
  // later) and, opened again, it says so with its buttons disabled.
  await click(page, 'xpath/.//button[normalize-space()="New conversation"]');
  await waitText(page, '#chat-h', /^New conversation$/);
  assert.equal(await page.$('.msg'), null);
  await say(page, 'Log 2 h as well');
  const card3 = await page.$eval('.chat-card', (e) => e.dataset.card);
  execFileSync('psql', [process.env.DATABASE_URL, '-q', '-v', 'ON_ERROR_STOP=1', '-v', `id=${card3}`],
    { input: "UPDATE ai_cards SET expires_at = now() - interval '1 second' WHERE id = :'id';\n", stdio: ['pipe', 'ignore', 'inherit'] });
  await click(page, 'button[aria-label="Open conversation: Log 2 h as well"]');
  await waitText(page, '.chat-card .card-result', /This card expired: nothing was changed/);
  assert.equal(await page.$eval('.chat-card', (e) => e.dataset.state), 'expired');
  assert.deepEqual(await page.$$eval('.chat-card button', (bs) => bs.map((b) => b.disabled)), [true, true]);
  assert.match(await text(page, '.chat-card .time-left'), /^Expired at /);
  assert.equal(await page.$eval('button[aria-label="Open conversation: Log 2 h as well"]', (b) => b.getAttribute('aria-current')), 'true');
  await shot(page, 'chat-expired');

  // The first conversation, opened again: the tool line, both cards as they ended.
  await click(page, 'button[aria-label="Open conversation: What is the kickoff task?"]');
  await waitText(page, '#chat-h', /What is the kickoff task\?/);
  assert.deepEqual(await page.$$eval('.chat-card', (cs) => cs.map((c) => c.dataset.state)), ['confirmed', 'declined']);
  assert.match(await text(page, '.tool .tool-result'), /found: .*Kickoff workshop/);
  assert.match(await text(page, '.outcome'), /^Card confirmed: Log 1\.25 h/);

  // The provider fails mid-turn (the script is used up): said in words.
  await say(page, 'Are you there?');
  await page.waitForSelector('.msg-assistant:last-of-type [role="alert"]');
  assert.match(await text(page, '.msg-assistant:last-of-type .refusal'), /The AI provider answered with an error[\s\S]*ai_provider_error: the model provider answered 500/);
  // The sixth message in a minute: 429 rate_limited, with when to send again.
  await say(page, 'Hello again');
  await waitText(page, '.ask [role="alert"]', /rate_limited/);
  assert.match(await text(page, '.ask .refusal'), /as many chat messages as a minute allows\. You can send again in \d+ s/);
  assert.equal(await page.$eval('#main textarea', (t) => t.value), 'Hello again', 'the refused message is kept to send again');
  await checkPage(page, 'chat-errors');

  // Delete the second conversation: gone from the list and from the API.
  const convB = (await rest('GET', '/api/ai/conversations', users.chat.token)).json.data.find((c) => c.title === 'Log 2 h as well').id;
  await click(page, 'button[aria-label="Delete conversation: Log 2 h as well"]');
  await click(page, 'xpath/.//button[normalize-space()="Delete for good"]');
  await waitText(page, '.conversations [role="status"]', /Deleted the conversation “Log 2 h as well”/);
  assert.deepEqual(await page.$$eval('.convs li', (lis) => lis.map((l) => l.dataset.id)), [convA]);
  assert.equal((await rest('GET', `/api/ai/conversations/${convB}`, users.chat.token)).status, 404);
  await page.close();

  // A server without a model says so in words.
  const plain = await startServe({});
  try {
    const p2 = await newPage();
    await signIn(p2, 'chat', users.chat.token, plain.base);
    await p2.goto(`${plain.base}/time/chat`);
    await p2.waitForSelector('#main textarea');
    await say(p2, 'Hi');
    await waitText(p2, '.ask [role="alert"]', /ai_not_configured/);
    assert.match(await text(p2, '.ask .refusal'), /not set up on this server[\s\S]*AI_BASE_URL/);
    await p2.close();
  } finally {
    assert.equal(await stopServe(plain.proc), 0);
  }
});
