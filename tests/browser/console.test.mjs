// The web console in a real browser: Debian's chromium, headless, driven by
// puppeteer-core against a real `serve` on the throwaway PostgreSQL
// (scripts/test-pg.sh) with a demo workspace. Every flow saves a screenshot
// under $SHOTS (build/browser); every page is checked with axe-core (no
// serious or critical violation), at 375 px wide (nothing wider than the
// screen), and for Content-Security-Policy violations and script errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BIN = process.env.WT_BIN ?? '../../build/workestra-time';
const SHOTS = process.env.SHOTS ?? '../../build/browser';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const JWT_SECRET = 'browser-test-jwt-secret';
const env = { ...process.env, WORKESTRA_SECRET_KEY: 'browser-test-secret-key', WORKESTRA_JWT_SECRET: JWT_SECRET };
mkdirSync(SHOTS, { recursive: true });

const cli = (...args) => JSON.parse(execFileSync(BIN, args, { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
let base, server, receiver, browser, users = {}, demo, freeAdmin;
const received = { ok: 0, flaky: 0 };
const problems = []; // CSP violations, page errors, console errors: none allowed

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const day = (offset = 0) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

// A session JWT as the product's sign-in would issue it (HS256, sub = user id).
function jwt(sub) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 600 })}`;
  return `${signed}.${createHmac('sha256', JWT_SECRET).update(signed).digest('base64url')}`;
}

async function rest(method, path, token, body) {
  const r = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: r.status === 204 ? null : await r.json() };
}

before(async () => {
  const ws = cli('admin', 'workspace', 'create', '--name', 'Browser', '--plan', 'pro', '--modules', 'projects,finance,people').id;
  for (const [role, name] of [['admin', 'Ada Admin'], ['manager', 'Max Manager'], ['member', 'Mia Member']]) {
    const u = cli('admin', 'user', 'create', '--workspace', ws, '--email', `${role}-${ws}@example.test`, '--name', name, '--role', role);
    users[role] = { id: u.id, name, token: cli('admin', 'token', 'create', '--user', u.id).token };
  }
  demo = cli('admin', 'demo', '--workspace', ws);
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
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve'], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', WEBHOOK_ALLOW_PRIVATE: 'on', SCHEDULER: 'off' }, stdio: 'ignore',
  });
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try { up = (await fetch(`${base}/healthz`)).ok; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  assert.ok(up, 'serve did not start');
  browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  receiver?.close();
  if (server) {
    server.kill('SIGTERM');
    const code = await new Promise((resolve) => server.on('exit', resolve));
    assert.equal(code, 0, 'serve exits 0 on SIGTERM');
  }
});

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
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
  assert.deepEqual(violations, [], `${label}: axe found serious or critical violations`);
  const vp = page.viewport();
  await page.setViewport({ width: 375, height: 800 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `${label}: ${width} px wide at a 375 px screen`);
  await shot(page, `${label}-375`);
  await page.setViewport(vp);
  assert.deepEqual(problems, [], `${label}: no CSP violation or script error`);
}

async function signIn(page, who, credential = users[who].token) {
  await page.goto(`${base}/time`);
  const input = await page.waitForSelector('#main input[type="password"]');
  await input.type(credential);
  await page.keyboard.press('Enter'); // the form submits by keyboard
  await page.waitForSelector('.who-name');
  if (who) {
    assert.equal(await page.$eval('.who-name', (e) => e.textContent), users[who].name);
    assert.equal(await page.$eval('.who .badge', (e) => e.textContent), who);
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
  assert.deepEqual(nav, ['Time', 'Integrations', 'API reference'], 'a member has no Approvals link');
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
