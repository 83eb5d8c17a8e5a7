"""Independent JWT / identity-hash producer for Concierge's Rust tests.

Protocol: one JSON request on stdin, one JSON answer on stdout (see README.md).
Only stock PyJWT and the standard library are used, so a token our server
accepts proves interoperability with a real third-party implementation.
"""

import hashlib
import hmac
import json
import sys

import jwt

ALGS = {"HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"}


def sign(request):
    if request.get("lib") != "pyjwt":
        raise ValueError(f"sign: unknown lib {request.get('lib')!r}")
    alg = request.get("alg")
    if alg not in ALGS:
        raise ValueError(f"sign: unsupported alg {alg!r}")
    if "key" not in request:
        raise ValueError("sign: missing key")
    # Extra header fields go last so a test can override kid/typ, as in sign.mjs.
    kid = {"kid": request["kid"]} if request.get("kid") is not None else {}
    headers = {**kid, **(request.get("header") or {})}
    # PyJWT adds no iat/exp of its own, so the claims go out exactly as given.
    # It takes an HMAC secret or a PKCS8 PEM as a plain string.
    token = jwt.encode(
        request.get("claims") or {}, request["key"], algorithm=alg, headers=headers or None
    )
    return {"token": token}


def hmac_hex(request):
    secret, message = request.get("secret"), request.get("message")
    if not isinstance(secret, str) or not isinstance(message, str):
        raise ValueError("hmac: secret and message must be strings")
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256)
    return {"hash": digest.hexdigest()}


OPS = {"sign": sign, "hmac": hmac_hex}


def main():
    try:
        request = json.load(sys.stdin)
        if not isinstance(request, dict):
            raise ValueError("request must be a JSON object")
        op = OPS.get(request.get("op"))
        if op is None:
            raise ValueError(f"unknown op {request.get('op')!r}")
        answer = op(request)
    except Exception as error:  # any failure must surface as exit 1, never a partial answer
        print(f"sign.py: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
