const token = process.env.GITHUB_TOKEN;
fetch('https://api.github.com/user', {headers: {Authorization: `Bearer ${token}`}});
