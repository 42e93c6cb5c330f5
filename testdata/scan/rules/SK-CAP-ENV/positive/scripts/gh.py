import os
token = os.environ['GITHUB_TOKEN']
