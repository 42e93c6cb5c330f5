"""A registry's upload endpoint on the standard library's http.server, built on skillsig's
check_upload: ``POST /upload`` with a JSON body ``{"bundle": base64, "signature": base64}``
answers ``200 {"accepted": "ns/name@version", ...}`` or ``422 {"code": ..., "message": ...}`` (the
code is the one ``skillsig`` prints with --json). One trust root and policy, loaded once, serve
every request and thread; the GIL is released while a check runs.

    python server.py TRUST_ROOT.json [PORT]

A real registry would then store the accepted bundle; this example stops at the check, which is
the part a registry embeds.
"""

import base64
import binascii
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import skillsig

# The archive-safety limit on bundles (64 MiB), base64-encoded, plus room for the signature.
MAX_BODY_BYTES = (64 * 1024 * 1024 * 4) // 3 + 64 * 1024


def make_handler(verifier):
    class Upload(BaseHTTPRequestHandler):
        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def refuse(self, code, message):
            self.answer(422, {"code": code, "message": message})

        def do_POST(self):
            if self.path != "/upload":
                return self.answer(404, {"code": "not-found", "message": "POST /upload"})
            try:
                length = int(self.headers.get("content-length", ""))
            except ValueError:
                return self.refuse("bad-request", "a content-length is required")
            if length > MAX_BODY_BYTES:
                return self.refuse("too-large", f"the upload is larger than {MAX_BODY_BYTES} bytes")
            try:
                upload = json.loads(self.rfile.read(length))
                bundle = base64.b64decode(upload["bundle"], validate=True)
                signature = base64.b64decode(upload["signature"], validate=True)
            except (ValueError, KeyError, TypeError, binascii.Error):
                return self.refuse("bad-request", 'the body must be JSON: {"bundle": base64, "signature": base64}')
            try:
                accepted = verifier.check_upload(bundle, signature)
            except skillsig.SkillsigError as error:
                return self.refuse(error.code, str(error))
            self.answer(
                200,
                {
                    "accepted": accepted.accepted,
                    "publisher": accepted.publisher,
                    "permissions": accepted.permissions.__dict__,
                    "scan": {"verdict": accepted.scan.verdict, "counts": accepted.scan.counts},
                },
            )

        def log_message(self, format, *args):
            pass

    return Upload


def create_server(trust_root_path, address=("127.0.0.1", 8788), **options):
    """An HTTP server checking uploads against the trust root at ``trust_root_path``."""
    verifier = skillsig.Verifier(trust_root_path=trust_root_path, **options)
    return ThreadingHTTPServer(address, make_handler(verifier))


def main(argv):
    if not argv:
        print("usage: python server.py TRUST_ROOT.json [PORT]", file=sys.stderr)
        return 2
    port = int(argv[1]) if len(argv) > 1 else 8788
    try:
        server = create_server(argv[0], ("127.0.0.1", port))
    except skillsig.SkillsigError as error:
        print(f"error: {error} ({error.code})", file=sys.stderr)
        return error.exit
    print(f"Checking uploads at http://127.0.0.1:{server.server_address[1]}/upload")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
