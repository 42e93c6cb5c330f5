cfg = open('config.json').read()
