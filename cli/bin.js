#!/usr/bin/env node
// `npx ticket-vault <command>`: the ops CLI (cli/main.ts), run through tsx like the other entries.
require('tsx/cjs');
const { main } = require('./main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ticket-vault: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
