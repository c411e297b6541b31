// What the browser tests share: the binary and the throwaway PostgreSQL's
// CLI, a `serve` on a free port, Debian's chromium, and axe-core.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
export const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const BIN = process.env.WT_BIN ?? '../../build/workestra-time';
export const SHOTS = process.env.SHOTS ?? '../../build/browser';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
mkdirSync(SHOTS, { recursive: true });

// The CLI's JSON answer (admin workspace/user/token create, admin demo).
export const cli = (env, ...args) => JSON.parse(execFileSync(BIN, args, { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString());

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// A serve on a free port with env and extra; resolves once /healthz answers.
export async function startServe(env, extra = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(BIN, ['serve'], { env: { ...env, PORT: String(port), HOST: '127.0.0.1', SCHEDULER: 'off', ...extra }, stdio: ['ignore', process.env.SERVE_LOG ? 'inherit' : 'ignore', process.env.SERVE_LOG ? 'inherit' : 'ignore'] });
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try { up = (await fetch(`${url}/healthz`)).ok; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  assert.ok(up, 'serve did not start');
  return { proc, base: url };
}

export async function stopServe(proc) {
  proc.kill('SIGTERM');
  return new Promise((resolve) => proc.on('exit', resolve));
}

export const launchBrowser = () => puppeteer.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});

// axe-core's serious and critical violations in a page or frame (evaluated
// through the DevTools protocol, which no CSP governs).
export async function axeViolations(frame) {
  await frame.evaluate(AXE);
  return frame.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
}

// A REST caller for the serve at base: rest(method, path, token, body) → {status, json}.
export const restAt = (base) => async (method, path, token, body) => {
  const r = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: r.status === 204 ? null : await r.json() };
};
