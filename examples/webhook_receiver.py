#!/usr/bin/env python3
"""A Workestra Time webhook receiver: Python standard library only.

    WEBHOOK_SECRET=whsec_... PORT=3000 python3 examples/webhook_receiver.py

It accepts POST /webhooks and checks both signatures every delivery carries
(either one is enough; this example insists on both):

- Standard Webhooks (https://www.standardwebhooks.com): webhook-signature holds
  space-separated "v1,<base64>" entries, each the HMAC-SHA256 of
  "<webhook-id>.<webhook-timestamp>.<raw body>" keyed with the base64-decoded
  part of your whsec_ secret (a secret without whsec_ is used as it is). Any
  library of the standard verifies it, e.g. `Webhook(secret).verify(body, headers)`.
- X-Workestra-Signature: "sha256=<hex HMAC-SHA256 of "<X-Workestra-Timestamp>.<raw
  body>" keyed with the secret text>"; during a secret rotation,
  X-Workestra-Signature-Previous carries the same with the old secret.

Both are compared in constant time. It refuses timestamps more than 5 minutes
from now (replays), skips deliveries it has already seen (webhook-id, equal to
X-Workestra-Delivery, is stable across retries), and answers 2xx quickly:
Workestra waits at most 10 s and retries on timeouts, 429 and 5xx.
"""
import base64
import binascii
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


def fresh(timestamp: str, now: float = None) -> bool:
    if not timestamp or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    return abs(now - int(timestamp)) <= TOLERANCE_SECONDS


def verify(raw_body: bytes, timestamp: str, signatures, secret: str, now: float = None) -> bool:
    """X-Workestra-Signature: true when one of signatures (the header, and
    X-Workestra-Signature-Previous during a rotation) is ours and fresh;
    raw_body must be the exact bytes received."""
    if not fresh(timestamp, now):
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256)
    want = "sha256=" + mac.hexdigest()
    if isinstance(signatures, str):
        signatures = [signatures]
    return any(s and hmac.compare_digest(want, s) for s in signatures)


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks key: the bytes after whsec_ (base64; secrets made
    before Standard Webhooks signing use the URL-safe alphabet), else the text."""
    if secret.startswith("whsec_"):
        part = secret[6:].replace("-", "+").replace("_", "/")
        try:
            return base64.b64decode(part + "=" * (-len(part) % 4), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def verify_standard(raw_body: bytes, msg_id: str, timestamp: str, signature_header: str, secret: str,
                    now: float = None) -> bool:
    """webhook-signature: true when one of its v1 entries is ours and fresh."""
    if not msg_id or not signature_header or not fresh(timestamp, now):
        return False
    mac = hmac.new(standard_key(secret), f"{msg_id}.{timestamp}.".encode() + raw_body, hashlib.sha256)
    want = base64.b64encode(mac.digest()).decode()
    for entry in signature_header.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(want, sig):
            return True
    return False


SEEN = set()  # use a database with a unique key in production


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/webhooks":
            self.send_error(404)
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        secret = os.environ["WEBHOOK_SECRET"]
        h = self.headers
        if not verify_standard(raw, h.get("webhook-id", ""), h.get("webhook-timestamp", ""),
                               h.get("webhook-signature", ""), secret) or \
           not verify(raw, h.get("X-Workestra-Timestamp", ""),
                      [h.get("X-Workestra-Signature", ""), h.get("X-Workestra-Signature-Previous", "")], secret):
            self._answer(401, {"error": "bad signature"})
            return
        delivery = h.get("webhook-id")
        if delivery in SEEN:
            self._answer(200, {"duplicate": True})
            return
        SEEN.add(delivery)
        event = json.loads(raw)
        print(f"{event['event']} {event['id']} delivery={delivery}", json.dumps(event["data"]), flush=True)
        self._answer(200, {"ok": True})

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    if not os.environ.get("WEBHOOK_SECRET"):
        sys.exit("set WEBHOOK_SECRET to the secret returned when you created the webhook")
    port = int(os.environ.get("PORT", "3000"))
    print(f"listening on http://127.0.0.1:{port}/webhooks", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
