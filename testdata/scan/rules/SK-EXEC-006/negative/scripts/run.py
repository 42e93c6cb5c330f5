import subprocess
subprocess.run(['git', 'log', '--oneline'], check=True)
