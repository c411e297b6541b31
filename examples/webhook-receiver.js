#!/usr/bin/env node
// A Workestra Time webhook receiver: Node.js standard library only.
//
//   WEBHOOK_SECRET=whsec_... PORT=3000 node examples/webhook-receiver.js
//
// It accepts POST /webhooks, checks X-Workestra-Signature (HMAC-SHA256 of
// "<X-Workestra-Timestamp>.<raw body>" with your secret) in constant time,
// refuses timestamps more than 5 minutes from now (replays), skips deliveries
// it has already seen (X-Workestra-Delivery is stable across retries), and
// answers 2xx quickly: do slow work after answering, since Workestra waits at
// most 10 s and retries on timeouts, 429 and 5xx.
'use strict';
const crypto = require('crypto');
const http = require('http');

const SECRET = process.env.WEBHOOK_SECRET;
const PORT = Number(process.env.PORT || 3000);
const TOLERANCE_SECONDS = 5 * 60;

/** true when the signature is ours and fresh; rawBody must be the exact bytes received. */
function verify(rawBody, timestamp, signature, secret, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = 'sha256=' + crypto.createHmac('sha256', secret)
    .update(timestamp + '.').update(rawBody).digest('hex');
  const a = Buffer.from(expected), b = Buffer.from(signature);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

const seen = new Set(); // use a database with a unique key in production

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/webhooks') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    if (!verify(raw, req.headers['x-workestra-timestamp'], req.headers['x-workestra-signature'], SECRET)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
      return;
    }
    const delivery = req.headers['x-workestra-delivery'];
    if (seen.has(delivery)) {
      res.writeHead(200).end('{"duplicate":true}');
      return;
    }
    seen.add(delivery);
    const event = JSON.parse(raw.toString('utf8'));
    console.log(`${event.event} ${event.id} delivery=${delivery}`, JSON.stringify(event.data));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});

if (require.main === module) {
  if (!SECRET) {
    console.error('set WEBHOOK_SECRET to the secret returned when you created the webhook');
    process.exit(2);
  }
  server.listen(PORT, () => console.log(`listening on http://127.0.0.1:${PORT}/webhooks`));
}
module.exports = { verify };
