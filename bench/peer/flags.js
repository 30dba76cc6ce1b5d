// eachFlag walks command-line flags, --name VALUE or --name=VALUE: it
// calls on(name, value, arg) for each, where value() takes the flag's
// value (the next argument unless the flag has =), and arg is the flag
// as written. The scripts of bench/peer share it.
'use strict';

function eachFlag(argv, on) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    on(key, () => (eq > 0 ? a.slice(eq + 1) : argv[++i]), a);
  }
}

module.exports = { eachFlag };
