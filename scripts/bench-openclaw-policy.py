#!/usr/bin/env python3
"""Times `skillsig openclaw install-policy` on every Skill of a corpus, the way OpenClaw calls it
(one process per request, the request on stdin), and prints the slowest answers.

    scripts/bench-openclaw-policy.py target/release/skillsig ../shared/corpus/benign-real

Runs with a throw-away trust root, policy and state (the default policy: signatures required),
so every answer is a full verify-scan-policy pass over the folder.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter


def main() -> None:
    exe, corpus = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    env = dict(os.environ)
    env.update(
        SKILLSIG_TRUST_ROOT=os.path.join(work, "trust.json"),
        SKILLSIG_STATE_DIR=os.path.join(work, "state"),
        SKILLSIG_POLICY=os.path.join(work, "no-policy.toml"),
    )
    results = []
    for name in sorted(os.listdir(corpus)):
        path = os.path.abspath(os.path.join(corpus, name))
        request = json.dumps({
            "protocolVersion": 1, "openclawVersion": "2026.9.6", "targetName": name,
            "targetType": "skill", "sourcePath": path, "sourcePathKind": "directory",
            "origin": {"type": "path", "spec": path},
            "request": {"kind": "skill-install", "mode": "install"},
        })
        start = time.monotonic()
        done = subprocess.run([exe, "openclaw", "install-policy"], input=request.encode(),
                              capture_output=True, env=env, check=False)
        seconds = time.monotonic() - start
        decision = json.loads(done.stdout)["decision"] if done.returncode == 0 else f"exit {done.returncode}"
        results.append((seconds, name, decision, len(done.stdout)))
    results.sort()
    print(f"{len(results)} Skills, {sum(r[0] for r in results):.1f} s in all, "
          f"median {results[len(results) // 2][0]:.3f} s")
    for seconds, name, decision, size in results[-5:]:
        print(f"{seconds:.3f} s  {name}  {decision}  {size} bytes")
    print(dict(Counter(r[2] for r in results)))


if __name__ == "__main__":
    main()
