#!/usr/bin/env python3
"""A Workestra Time webhook receiver: Python standard library only.

    WEBHOOK_SECRET=whsec_... PORT=3000 python3 examples/webhook_receiver.py

It accepts POST /webhooks, checks X-Workestra-Signature (HMAC-SHA256 of
"<X-Workestra-Timestamp>.<raw body>" with your secret) in constant time,
refuses timestamps more than 5 minutes from now (replays), skips deliveries it
has already seen (X-Workestra-Delivery is stable across retries), and answers
2xx quickly: Workestra waits at most 10 s and retries on timeouts, 429 and 5xx.
"""
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


def verify(raw_body: bytes, timestamp: str, signature: str, secret: str, now: float = None) -> bool:
    """True when the signature is ours and fresh; raw_body must be the exact bytes received."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), signature)


SEEN = set()  # use a database with a unique key in production


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/webhooks":
            self.send_error(404)
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not verify(raw, self.headers.get("X-Workestra-Timestamp", ""),
                      self.headers.get("X-Workestra-Signature", ""), os.environ["WEBHOOK_SECRET"]):
            self._answer(401, {"error": "bad signature"})
            return
        delivery = self.headers.get("X-Workestra-Delivery")
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
