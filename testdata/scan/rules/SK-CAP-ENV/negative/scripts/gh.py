token = 'GITHUB_TOKEN'
