// The confirmation card as an MCP App, in a real browser. The host is the
// official one: @modelcontextprotocol/ext-apps's AppBridge, on the official
// v2 client (@modelcontextprotocol/client) connected to a real `serve`. The
// bridge runs here in Node and speaks to the card through the page: the card
// is the ui:// resource the server returned, in a sandboxed iframe
// (allow-scripts only) under the CSP the extension prescribes when a
// resource declares no domains, as hosts render it. The card's buttons
// answer through the bridge's tools/call, on the person's own connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { AppBridge, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/app-bridge';
import { SHOTS, axeViolations, cli as runCli, launchBrowser, restAt, startServe, stopServe } from './harness.mjs';

const env = { ...process.env, WORKESTRA_SECRET_KEY: 'mcp-app-test-secret-key' };
const cli = (...args) => runCli(env, ...args);
const UI = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [RESOURCE_MIME_TYPE] } } };
const CARD_META = 'io.workestra/confirmationCard';
const WRITE_TOOLS = ['approve_timesheet', 'convert_time_to_invoice_lines', 'log_time_entry', 'reject_timesheet',
  'start_timer', 'stop_timer', 'submit_timesheet'];
// The extension's CSP for a resource that declares no domains (SEP-1865, Host Behavior).
const DEFAULT_CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
  + "img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

let base, server, browser, rest, task, alice, bob;
const problems = [];

before(async () => {
  const ws = cli('admin', 'workspace', 'create', '--name', 'Apps', '--plan', 'pro', '--modules', 'projects').id;
  const person = (name) => {
    const u = cli('admin', 'user', 'create', '--workspace', ws, '--email', `${name}-${ws}@example.test`, '--name', name, '--role', 'member');
    return { id: u.id, token: cli('admin', 'token', 'create', '--user', u.id).token };
  };
  alice = person('alice');
  bob = person('bob');
  task = cli('admin', 'demo', '--workspace', ws).tasks[0].id;
  ({ proc: server, base } = await startServe(env));
  rest = restAt(base);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await stopServe(server), 0, 'serve exits 0 on SIGTERM');
});

async function connect(token, version, capabilities = UI) {
  // 2025-11-25 is the client's legacy mode (initialize and a session).
  const client = new Client({ name: 'mcp-app-test-host', version: '1.0.0' },
    { capabilities, versionNegotiation: { mode: version === '2026-07-28' ? { pin: version } : 'legacy' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`),
    { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

const entriesOn = async (token, day) => (await rest('GET', `/api/v1/time-entries?from=${day}&to=${day}`, token)).json.data;
const redeem = (token, confirmationToken) => rest('POST', '/api/v1/ai/confirm', token, { confirmation_token: confirmationToken });
const log = (client, day, hours = 1.25) => client.callTool({
  name: 'log_time_entry', arguments: { entity_type: 'task', entity_id: task, hours, log_date: day, description: 'MCP App card' },
});

// The AppBridge's transport to the card: messages the iframe posts to the
// page come here through an exposed function; ours are posted into it.
class FrameTransport {
  constructor(page) { this.page = page; }
  async start() {
    await this.page.exposeFunction('toHost', (m) => this.onmessage?.(m));
    await this.page.evaluate(() => window.addEventListener('message', (e) => {
      if (e.source === document.getElementById('app').contentWindow) window.toHost(e.data);
    }));
  }
  async send(m) { await this.page.evaluate((msg) => document.getElementById('app').contentWindow.postMessage(msg, '*'), m); }
  async close() { this.onclose?.(); }
}

// Renders the card for a write tool's call as a host does: reads the tool's
// ui:// resource, loads it in a sandboxed iframe under the default CSP,
// connects the bridge, then sends the call's input and result.
async function openCard(client, args, result) {
  const { tools } = await client.listTools();
  const tool = tools.find((t) => t.name === 'log_time_entry');
  const { contents } = await client.readResource({ uri: tool._meta.ui.resourceUri });
  assert.equal(contents[0].mimeType, RESOURCE_MIME_TYPE);
  const html = contents[0].text.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`);

  problems.length = 0;
  const page = await browser.newPage();
  await page.setViewport({ width: 720, height: 640 });
  await page.evaluateOnNewDocument(() => document.addEventListener('securitypolicyviolation', (e) => {
    console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
  }));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  await page.setContent('<!DOCTYPE html><html lang="en"><head><title>A chat host</title></head><body>'
    + '<main><h1>Chat</h1><iframe id="app" title="Confirmation card" sandbox="allow-scripts" '
    + 'style="width:100%;height:480px;border:1px solid #ccc"></iframe></main></body></html>');
  const told = [];
  const bridge = new AppBridge(client, { name: 'mcp-app-test-host', version: '1.0.0' },
    { openLinks: {}, serverTools: {}, logging: {}, updateModelContext: { text: {} } },
    { hostContext: { theme: 'light', displayMode: 'inline', availableDisplayModes: ['inline'], toolInfo: { tool }, locale: 'en-US' } });
  bridge.onupdatemodelcontext = async (p) => { told.push(p); return {}; };
  const initialized = new Promise((resolve) => { bridge.oninitialized = resolve; });
  await bridge.connect(new FrameTransport(page));
  await page.evaluate((doc) => { document.getElementById('app').srcdoc = doc; }, html);
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult(result);
  const frame = await (await page.$('#app')).contentFrame();
  return { page, frame, told, close: async () => { await bridge.close(); await page.close(); } };
}

const waitText = (frame, sel, re) => frame.waitForFunction((s, src) => {
  const el = document.querySelector(s);
  return el && new RegExp(src).test(el.textContent);
}, { timeout: 10000 }, sel, re.source);

test('a client that declares MCP Apps is offered the card; one that does not is not', async () => {
  for (const version of ['2026-07-28', '2025-11-25']) {
    const plain = await connect(alice.token, version, {});
    try {
      const { tools } = await plain.listTools();
      assert.equal(tools.length, 11, `${version}: the eleven tools`);
      assert.ok(tools.every((t) => !t._meta?.ui), `${version}: no ui metadata without the extension`);
      await assert.rejects(plain.callTool({ name: 'answer_confirmation_card', arguments: { card: 'x', answer: 'accept' } }),
        /unknown tool/, `${version}: the app-only tool does not exist for this client`);
    } finally {
      await plain.close();
    }
    const host = await connect(alice.token, version);
    try {
      const { tools } = await host.listTools();
      const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
      assert.equal(tools.length, 12, `${version}: the eleven tools and the card's own`);
      assert.deepEqual(tools.filter((t) => t._meta?.ui?.resourceUri && !t._meta.ui.visibility).map((t) => t.name).sort(), WRITE_TOOLS,
        `${version}: every write tool, and only they, name the card`);
      assert.deepEqual(byName.answer_confirmation_card._meta.ui, { resourceUri: 'ui://workestra-time/confirmation-card.html', visibility: ['app'] });
      const { contents } = await host.readResource({ uri: 'ui://workestra-time/confirmation-card.html' });
      assert.equal(contents[0].mimeType, RESOURCE_MIME_TYPE);
      assert.match(contents[0].text, /^<!DOCTYPE html>/);
      assert.equal(contents[0]._meta.ui.prefersBorder, true);
      const { resources } = await host.listResources();
      assert.ok(!resources.some((r) => r.uri.startsWith('ui://')), `${version}: the card is read, not listed`);
    } finally {
      await host.close();
    }
  }
});

test('2026-07-28: Confirm on the card makes the entry as the person, and the model is told', async () => {
  const day = '2026-05-04';
  const client = await connect(alice.token, '2026-07-28');
  try {
    const args = { entity_type: 'task', entity_id: task, hours: 1.25, log_date: day, description: 'MCP App card' };
    const result = await log(client, day);
    const sc = result.structuredContent;
    assert.equal(sc.requires_confirmation, true);
    assert.equal(sc.status, 'pending');
    const card = result._meta?.[CARD_META];
    assert.ok(card, 'the card travels in _meta');
    assert.ok(!JSON.stringify(result.content).includes(card) && !JSON.stringify(sc).includes(card),
      'the card is not in what the model reads');
    assert.match(result.content[0].text, /^Nothing has changed yet\. The person sees a confirmation card/);
    assert.deepEqual(await entriesOn(alice.token, day), [], 'nothing before the person confirms');

    const { page, frame, told, close } = await openCard(client, args, result);
    try {
      await waitText(frame, '#kind', /Confirm this change/);
      assert.equal(await frame.$eval('#summary', (e) => e.textContent), sc.summary);
      const details = await frame.$$eval('#details li', (li) => li.map((e) => e.textContent));
      assert.deepEqual(details, sc.details);
      await waitText(frame, '#left', /Time left: \d+:\d\d/);
      assert.deepEqual(await axeViolations(frame), [], 'axe: no serious or critical violation in the card');
      await page.screenshot({ path: `${SHOTS}/mcp-app-card.png` });

      await frame.click('#confirm');
      await waitText(frame, '#outcome', /^Confirmed: logged 1\.25 h on 2026-05-04 \(entry te_/);
      assert.equal(await frame.evaluate(() => document.body.dataset.state), 'confirmed');
      assert.ok(await frame.$eval('#confirm', (b) => b.disabled), 'the buttons are spent');
      await page.screenshot({ path: `${SHOTS}/mcp-app-card-confirmed.png` });
      const made = await entriesOn(alice.token, day);
      assert.equal(made.length, 1);
      assert.equal(made[0].source, 'ai_tool');
      assert.equal(made[0].user_id, alice.id, 'made as the person');
      assert.equal(told.length, 1, 'the model is told through ui/update-model-context');
      assert.match(told[0].content[0].text, /^The person confirmed .*logged 1\.25 h on 2026-05-04/);
      assert.equal((await redeem(alice.token, sc.confirmation_token)).json.error.code, 'confirmation_used',
        'the token the model saw is spent');
      assert.deepEqual(problems, [], 'no CSP violation or script error');
    } finally {
      await close();
    }
  } finally {
    await client.close();
  }
});

test('2025-11-25: Cancel on the card changes nothing and spends the card', async () => {
  const day = '2026-05-05';
  const client = await connect(alice.token, '2025-11-25');
  try {
    const result = await log(client, day, 2);
    const { frame, told, close } = await openCard(client, {}, result);
    try {
      await waitText(frame, '#kind', /Confirm this change/);
      await frame.focus('#cancel');
      await frame.evaluate(() => document.activeElement.click()); // by keyboard focus, as a person tabbing
      await waitText(frame, '#outcome', /^Cancelled: nothing was changed\./);
      assert.equal(await frame.evaluate(() => document.body.dataset.state), 'declined');
      assert.deepEqual(await entriesOn(alice.token, day), []);
      assert.match(told[0].content[0].text, /^The person cancelled/);
      assert.equal((await redeem(alice.token, result.structuredContent.confirmation_token)).json.error.code, 'confirmation_used');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  } finally {
    await client.close();
  }
});

test('a card past its time says so and offers no buttons', async () => {
  const client = await connect(alice.token, '2026-07-28');
  try {
    const result = await log(client, '2026-05-06');
    result.structuredContent.expires_at = new Date(Date.now() - 1000).toISOString();
    const { frame, close } = await openCard(client, {}, result);
    try {
      await waitText(frame, '#outcome', /This card expired: nothing was changed/);
      assert.ok(await frame.$eval('#confirm', (b) => b.disabled));
      assert.ok(await frame.$eval('#cancel', (b) => b.disabled));
    } finally {
      await close();
    }
  } finally {
    await client.close();
  }
});

test('only its person answers a card, unaltered, once', async () => {
  const day = '2026-05-07';
  const a = await connect(alice.token, '2026-07-28');
  const b = await connect(bob.token, '2026-07-28');
  try {
    const result = await log(a, day);
    const card = result._meta[CARD_META];
    const answer = (client, c, ans = 'accept') => client.callTool({ name: 'answer_confirmation_card', arguments: { card: c, answer: ans } });
    const [body, mac] = card.split('.');
    const altered = JSON.parse(Buffer.from(body, 'base64url'));
    altered.u = bob.id;
    await assert.rejects(answer(b, `${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${mac}`), /failed verification/,
      'an altered card is refused');
    await assert.rejects(answer(b, card), /failed verification/, "another person cannot answer alice's card");
    await assert.rejects(answer(a, card, 'maybe'), /accept or decline/, 'only accept or decline');
    assert.deepEqual(await entriesOn(alice.token, day), [], 'nothing ran');
    const first = await answer(a, card);
    assert.equal(first.structuredContent.status, 'confirmed');
    const again = await answer(a, card, 'decline');
    assert.equal(again.isError, true);
    assert.match(again.content[0].text, /^confirmation_used/);
    assert.equal((await entriesOn(alice.token, day)).length, 1, 'made once');
  } finally {
    await a.close();
    await b.close();
  }
});
