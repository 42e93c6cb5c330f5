import subprocess

subprocess.run(["claude", "-p", "summarise the changelog", "--permission-mode", "plan"])
