// The verifier itself: it accepts what the library signs and refuses a
// changed body, another secret and a second entry that does not match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { verifyCase } from './verify.mjs';

const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const other = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const body = JSON.stringify({ id: 'evt_1', event: 'time_entry.created', data: { description: 'café' } });
const ts = Math.floor(Date.now() / 1000);
const sig = new Webhook(secret).sign('dlv_1', new Date(ts * 1000), body);
const c = (over) => ({ secret, id: 'dlv_1', timestamp: String(ts), signature: sig,
  body_b64: Buffer.from(body).toString('base64'), ...over });

test('accepts the library\'s own signature', () => {
  assert.doesNotThrow(() => verifyCase(c({})));
});

test('accepts any entry of a space-separated list', () => {
  const old = new Webhook(other).sign('dlv_1', new Date(ts * 1000), body);
  assert.doesNotThrow(() => verifyCase(c({ signature: `${old} ${sig}` })));
  assert.doesNotThrow(() => verifyCase(c({ secret: other, signature: `${old} ${sig}` })));
});

test('refuses another body, another secret, another id', () => {
  assert.throws(() => verifyCase(c({ body_b64: Buffer.from(body + ' ').toString('base64') })));
  assert.throws(() => verifyCase(c({ secret: other })));
  assert.throws(() => verifyCase(c({ id: 'dlv_2' })));
});
