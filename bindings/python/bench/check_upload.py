"""check_upload of the example Skill from Python, for docs/benchmarks.md: uploads per second
over N calls after a warm-up, one thread (one core, as the Rust figure).

    python bench/check_upload.py FIXTURES_DIR [N]
"""

import pathlib
import sys
import time

import skillsig


def main(argv):
    folder = pathlib.Path(argv[0])
    count = int(argv[1]) if len(argv) > 1 else 2000
    bundle = (folder / "example-weather-report-1.0.0.skill").read_bytes()
    signature = (folder / "example-weather-report-1.0.0.skill.sigstore.json").read_bytes()
    verifier = skillsig.Verifier(trust_root_path=folder / "trust.json")
    for _ in range(200):
        verifier.check_upload(bundle, signature)
    start = time.perf_counter()
    for _ in range(count):
        verifier.check_upload(bundle, signature)
    seconds = time.perf_counter() - start
    print(f"python check_upload: {seconds / count * 1e6:.1f} µs per upload, {round(count / seconds)} uploads/s")


if __name__ == "__main__":
    main(sys.argv[1:])
