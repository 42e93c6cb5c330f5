"""Command-line side of the OpenSSF model-signing benchmark (docs/benchmarks.md, issue 10).

Times `skillsig verify DIR` against `model_signing verify key` on the same 1,000-file folder,
signature and key, in the same run. Make the folder first, then run this from anywhere:

    SKILLSIG_BENCH_KEEP=/tmp/omsbench cargo bench -p skillsig --bench oms
    cargo build --release -p skillsig-cli
    python3 scripts/bench-oms-commands.py /tmp/omsbench target/release/skillsig \
        target/ci-tools/model-signing/bin/model_signing

Each command runs several times; the median and the best are printed, then the ratio of the
medians. The interpreter beside `model_signing` also times its library in process.
"""
import os
import subprocess
import sys
import tempfile
import time

folder, skillsig, model_signing = (os.path.abspath(a) for a in sys.argv[1:4])
state = tempfile.mkdtemp(prefix="skillsig-bench-state-")
env = dict(os.environ, SKILLSIG_STATE_DIR=state)


def timed(args, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(args, cwd=folder, env=env, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"{args[0]} failed:\n{done.stdout.decode()}{done.stderr.decode()}")
    times.sort()
    return times[len(times) // 2] * 1000, times[0] * 1000


ours = timed([skillsig, "verify", "big-skill", "--trust-root", "trust.json"], 60)
theirs = timed(
    [model_signing, "verify", "key", "--public_key", "key.pub",
     "--signature", "big-skill/skill.oms.sig", "big-skill"],
    15,
)
# model_signing's library in its own interpreter, for the in-process row (the Rust side is
# `cargo bench -p skillsig --bench oms`).
IN_PROCESS = """
import time, pathlib, model_signing
hashing = model_signing.hashing.Config().set_ignored_paths(paths=[pathlib.Path("skill.oms.sig")])
config = (model_signing.verifying.Config()
          .use_elliptic_key_verifier(public_key="key.pub").set_hashing_config(hashing))
config.verify("big-skill", "big-skill/skill.oms.sig")
start = time.perf_counter()
for _ in range(20):
    config.verify("big-skill", "big-skill/skill.oms.sig")
print(f"model_signing in process: mean {(time.perf_counter() - start) / 20 * 1000:.1f} ms")
"""
python = os.path.join(os.path.dirname(model_signing), "python")
subprocess.run([python, "-c", IN_PROCESS], cwd=folder, check=True)
print(f"skillsig verify DIR:      median {ours[0]:.2f} ms, best {ours[1]:.2f} ms")
print(f"model_signing verify key: median {theirs[0]:.1f} ms, best {theirs[1]:.1f} ms")
print(f"ratio of medians: {theirs[0] / ours[0]:.1f}x")
