"""Checks that a webhook request came from tnps (docs/alerts.md).

    python3 verify_signature.py BODY_FILE SIGNATURE_HEADER SECRET_FILE [SECRET_FILE]

exits 0 if the request is authentic and recent, 1 if not.
"""
import hashlib
import hmac
import sys
import time

# Requests older than this are refused, so that a captured request cannot
# be replayed later.
TOLERANCE_SECONDS = 300


def verify(body, signature_header, secrets, now=None):
    """True if `signature_header` (Tnps-Signature) signs `body` (the raw
    bytes, before any JSON parsing) with one of `secrets`, recently."""
    fields = [part.split("=", 1) for part in signature_header.split(",") if "=" in part]
    timestamps = [value for key, value in fields if key == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamps[0])) > TOLERANCE_SECONDS:
        return False
    signed = timestamps[0].encode() + b"." + body
    signatures = [value for key, value in fields if key == "v1"]
    for secret in secrets:
        expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, s) for s in signatures):
            return True
    return False


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        request_body = f.read()
    keys = []
    for name in sys.argv[3:]:
        with open(name, "rb") as f:
            keys.append(f.read().strip())
    sys.exit(0 if verify(request_body, sys.argv[2], keys) else 1)
