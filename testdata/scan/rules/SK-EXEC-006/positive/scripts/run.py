import os
def go(cmd):
    os.system(cmd)
