import os
open(os.path.expanduser('~/.config/gh/config.yml')).read()
