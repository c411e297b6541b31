// Verifies one delivered webhook with the official Standard Webhooks library.
//   node verify.mjs CASE.json   (exit 0: verified; 1: refused, the reason on stderr)
// CASE: {secret, format?: "raw", id, timestamp, signature, body_b64}, the
// headers and raw body a receiver got (tests/integration/test_webhooks_standard.c).
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';

export function verifyCase(c) {
  const body = Buffer.from(c.body_b64, 'base64').toString('utf8');
  const wh = c.format === 'raw' ? new Webhook(c.secret, { format: 'raw' }) : new Webhook(c.secret);
  return wh.verify(body, {
    'webhook-id': c.id,
    'webhook-timestamp': c.timestamp,
    'webhook-signature': c.signature,
  });
}

if (process.argv[2]) {
  try {
    verifyCase(JSON.parse(readFileSync(process.argv[2], 'utf8')));
  } catch (e) {
    console.error(String(e && e.message ? e.message : e));
    process.exit(1);
  }
}
