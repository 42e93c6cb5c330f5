"""The upload endpoint end to end over loopback: good and bad uploads posted to a server this
test starts on 127.0.0.1, answered with skillsig's codes."""

import base64
import json
import pathlib
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

import server as upload_server
import skillsig

FIXTURES_SH = pathlib.Path(__file__).resolve().parents[2] / "bindings" / "fixtures.sh"


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    out = tmp_path_factory.mktemp("registry-upload-python")
    subprocess.run([str(FIXTURES_SH), str(out)], check=True)
    httpd = upload_server.create_server(out / "trust.json", ("127.0.0.1", 0))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {
        "url": f"http://127.0.0.1:{httpd.server_address[1]}/upload",
        "dir": out,
        "bundle": (out / "example-weather-report-1.0.0.skill").read_bytes(),
        "signature": (out / "example-weather-report-1.0.0.skill.sigstore.json").read_bytes(),
    }
    httpd.shutdown()
    httpd.server_close()


def post(url, body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def upload(bundle, signature):
    return {"bundle": base64.b64encode(bundle).decode(), "signature": base64.b64encode(signature).decode()}


def test_a_signed_upload_is_accepted(fx):
    status, body = post(fx["url"], upload(fx["bundle"], fx["signature"]))
    assert status == 200, body
    assert body["accepted"] == "example/weather-report@1.0.0"
    assert body["publisher"] == "example"
    assert body["scan"]["verdict"] == "pass"


def test_bad_uploads_are_refused_with_the_checks_code(fx):
    foreign = (fx["dir"] / "foreign.sigstore.json").read_bytes()
    status, body = post(fx["url"], upload(fx["bundle"], foreign))
    assert (status, body["code"]) == (422, "unknown-key")
    changed = fx["bundle"][:-1] + bytes([fx["bundle"][-1] ^ 1])
    status, body = post(fx["url"], upload(changed, fx["signature"]))
    assert (status, body["code"]) == (422, "bundle-invalid")
    status, body = post(fx["url"], {"bundle": "%%%", "signature": "%%%"})
    assert (status, body["code"]) == (422, "bad-request")
    status, body = post(fx["url"], b"not json")
    assert (status, body["code"]) == (422, "bad-request")


def test_a_trust_root_that_cannot_be_read_stops_the_server_from_starting(fx):
    with pytest.raises(skillsig.SkillsigError) as e:
        upload_server.create_server(fx["dir"] / "missing.json", ("127.0.0.1", 0))
    assert (e.value.code, e.value.exit) == ("io", 2)
