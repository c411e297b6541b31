#!/usr/bin/env node
// A Workestra Time webhook receiver: Node.js standard library only.
//
//   WEBHOOK_SECRET=whsec_... PORT=3000 node examples/webhook-receiver.js
//
// It accepts POST /webhooks and checks both signatures every delivery carries
// (either one is enough; this example insists on both):
// - Standard Webhooks (https://www.standardwebhooks.com): webhook-signature
//   holds space-separated "v1,<base64>" entries, each the HMAC-SHA256 of
//   "<webhook-id>.<webhook-timestamp>.<raw body>" keyed with the
//   base64-decoded part of your whsec_ secret (a secret without whsec_ is used
//   as it is). The `standardwebhooks` npm package does the same:
//   new Webhook(secret).verify(rawBody, headers).
// - X-Workestra-Signature: "sha256=<hex HMAC-SHA256 of "<X-Workestra-Timestamp>.<raw
//   body>" keyed with the secret text>"; during a secret rotation,
//   X-Workestra-Signature-Previous carries the same with the old secret.
// Both are compared in constant time. It refuses timestamps more than 5
// minutes from now (replays), skips deliveries it has already seen
// (webhook-id, equal to X-Workestra-Delivery, is stable across retries), and
// answers 2xx quickly: do slow work after answering, since Workestra waits at
// most 10 s and retries on timeouts, 429 and 5xx.
'use strict';
const crypto = require('crypto');
const http = require('http');

const SECRET = process.env.WEBHOOK_SECRET;
const PORT = Number(process.env.PORT || 3000);
const TOLERANCE_SECONDS = 5 * 60;

function fresh(timestamp, nowSeconds) {
  return !!timestamp && /^\d+$/.test(timestamp) && Math.abs(nowSeconds - Number(timestamp)) <= TOLERANCE_SECONDS;
}

function same(a, b) {
  const x = Buffer.from(a), y = Buffer.from(b || '');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** X-Workestra-Signature: true when one of signatures (the header, and
 * X-Workestra-Signature-Previous during a rotation) is ours and fresh;
 * rawBody must be the exact bytes received. */
function verify(rawBody, timestamp, signatures, secret, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (!fresh(timestamp, nowSeconds)) return false;
  const expected = 'sha256=' + crypto.createHmac('sha256', secret)
    .update(timestamp + '.').update(rawBody).digest('hex');
  return [].concat(signatures).some((s) => same(expected, s));
}

/** The Standard Webhooks key: the bytes after whsec_ (base64; secrets made
 * before Standard Webhooks signing use the URL-safe alphabet), else the text. */
function standardKey(secret) {
  if (secret.startsWith('whsec_') && /^[A-Za-z0-9+/_-]+=*$/.test(secret.slice(6))) {
    return Buffer.from(secret.slice(6).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  }
  return Buffer.from(secret);
}

/** webhook-signature: true when one of its v1 entries is ours and fresh. */
function verifyStandard(rawBody, msgId, timestamp, signatureHeader, secret,
  nowSeconds = Math.floor(Date.now() / 1000)) {
  if (!msgId || !signatureHeader || !fresh(timestamp, nowSeconds)) return false;
  const expected = crypto.createHmac('sha256', standardKey(secret))
    .update(`${msgId}.${timestamp}.`).update(rawBody).digest('base64');
  return signatureHeader.split(' ').some((entry) => {
    const [version, sig] = [entry.slice(0, entry.indexOf(',')), entry.slice(entry.indexOf(',') + 1)];
    return version === 'v1' && same(expected, sig);
  });
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
    const h = req.headers;
    if (!verifyStandard(raw, h['webhook-id'], h['webhook-timestamp'], h['webhook-signature'], SECRET) ||
        !verify(raw, h['x-workestra-timestamp'],
          [h['x-workestra-signature'], h['x-workestra-signature-previous']], SECRET)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
      return;
    }
    const delivery = h['webhook-id'];
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
module.exports = { verify, verifyStandard };
