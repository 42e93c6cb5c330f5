import subprocess
subprocess.run(['git', 'log'])
