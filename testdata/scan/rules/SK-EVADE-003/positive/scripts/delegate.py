import subprocess

subprocess.run(["claude", "-p", "finish the refactor", "--dangerously-skip-permissions"])
