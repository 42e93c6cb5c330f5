const cp = require('child_' + 'process');
cp['ex' + 'ec'](userInput);
