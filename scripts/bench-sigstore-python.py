"""sigstore-python's side of the Sigstore verification benchmark (docs/benchmarks.md).

Run from ../shared/vectors/sigstore-conformance/bundle-verify with sigstore installed:
    python3 -m venv /tmp/sigpy && /tmp/sigpy/bin/pip install sigstore
    cd ../shared/vectors/sigstore-conformance/bundle-verify && /tmp/sigpy/bin/python PATH/TO/this
Same bundle, artifact and identity as `cargo bench -p skillsig-cli --bench sigstore_verify`.
"""
import sys, time, subprocess, statistics
from pathlib import Path
from sigstore.verify import Verifier
from sigstore.verify.policy import Identity
from sigstore.models import Bundle
ID="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISS="https://token.actions.githubusercontent.com"
bundle_text=Path("happy-path-v0.3/bundle.sigstore.json").read_text()
art=Path("a.txt").read_bytes()
v=Verifier.production(offline=True)
pol=Identity(identity=ID, issuer=ISS)
def once():
    b=Bundle.from_json(bundle_text)
    v.verify_artifact(art, b, pol)
once()
n=200
t=time.perf_counter()
for _ in range(n): once()
print("in-process mean ms", (time.perf_counter()-t)/n*1000)
ts=[]
for _ in range(20):
    t=time.perf_counter()
    subprocess.run([sys.executable,"-m","sigstore","verify","identity","--offline","--bundle","happy-path-v0.3/bundle.sigstore.json","--cert-identity",ID,"--cert-oidc-issuer",ISS,"a.txt"],check=True,capture_output=True)
    ts.append(time.perf_counter()-t)
print("cli mean ms", statistics.mean(ts)*1000, "median", statistics.median(ts)*1000)
