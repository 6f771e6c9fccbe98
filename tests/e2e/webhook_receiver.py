#!/usr/bin/env python3
"""A real HTTP receiver for the alert tests, on loopback.

Records every connection and every request as a JSON line in --record, and
checks each request's Tnps-Signature with its own HMAC-SHA256 code (an
implementation independent of the server's) against the secrets in the
--secret-file files. What it answers depends on the path:

  /ok...       200
  /fail...     503
  /redirect... 302 to /ok/redirected
  /slow...     200 after 5 seconds
  /slowfirst.. 200 after 5 seconds the first time an event id comes, at once after
  /big...      200 with a 1 MiB body

Prints "listening <port>" once it accepts connections; stops on SIGTERM.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import threading
import time

lock = threading.Lock()
seen_event_ids = set()


def record(path, entry):
    with lock, open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def matching_secrets(header, body, secrets):
    """Indices of the secrets that one of the header's v1 signatures matches."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k == "t"]
    signatures = [v for k, v in parts if k == "v1"]
    if len(timestamps) != 1:
        return [], None
    signed = timestamps[0].encode() + b"." + body
    found = []
    for i, secret in enumerate(secrets):
        expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, s) for s in signatures):
            found.append(i)
    return found, int(timestamps[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", required=True)
    parser.add_argument("--secret-file", action="append", default=[])
    args = parser.parse_args()
    secrets = []
    for name in args.secret_file:
        with open(name, "rb") as f:
            secrets.append(f.read().strip())

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: with Nagle's algorithm
        # the body would wait for the client's delayed ACK (40 ms).
        disable_nagle_algorithm = True

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = self.headers.get("Tnps-Signature", "")
            valid, timestamp = matching_secrets(signature, body, secrets)
            record(args.record, {
                "path": self.path,
                "event_id": self.headers.get("Tnps-Event-Id", ""),
                "event_type": self.headers.get("Tnps-Event-Type", ""),
                "attempt": self.headers.get("Tnps-Delivery-Attempt", ""),
                "signature": signature,
                "signatures": signature.count("v1="),
                "valid_secrets": valid,
                "timestamp_age": None if timestamp is None else time.time() - timestamp,
                "received_at": time.time(),
                "body": body.decode("utf-8"),
            })
            event_id = self.headers.get("Tnps-Event-Id", "")
            with lock:
                first_time = event_id not in seen_event_ids
                seen_event_ids.add(event_id)
            if self.path.startswith("/slowfirst"):
                if first_time:
                    time.sleep(5)
            elif self.path.startswith("/slow"):
                time.sleep(5)
            if self.path.startswith("/redirect"):
                self.reply(302, b"", [("Location", "/ok/redirected")])
            elif self.path.startswith("/fail"):
                self.reply(503, b"down for maintenance")
            elif self.path.startswith("/big"):
                self.reply(200, b"x" * (1 << 20))
            else:
                self.reply(200, b"{}")

        def reply(self, status, body, headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *unused):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def verify_request(self, request, client_address):
            record(args.record, {"connection": client_address[0]})
            return True

    server = Server(("127.0.0.1", args.port), Handler)
    print("listening", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
