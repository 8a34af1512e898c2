#!/usr/bin/env node
/**
 * `node tools/lanes.mjs "a b" "c d"`: runs npm scripts in lanes, the lanes side by side, the scripts
 * of one lane one after another (a then b, beside c then d). npm test's static checks are
 * single-threaded (tsc, svelte-check, vite): two lanes use both cores of the test machine instead
 * of one. Each lane's output is printed whole when it ends; the exit code is the first failure's.
 */
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function runLane(scripts) {
  return new Promise((resolve) => {
    let output = '';
    const next = (i) => {
      if (i === scripts.length) return resolve({ scripts, code: 0, output });
      const child = spawn(npm, ['run', scripts[i]], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d) => {
        output += d;
      });
      child.stderr.on('data', (d) => {
        output += d;
      });
      child.on('close', (code) => {
        if (code !== 0) return resolve({ scripts, code: code ?? 1, output, failed: scripts[i] });
        next(i + 1);
      });
    };
    next(0);
  });
}

const lanes = process.argv.slice(2).map((lane) => lane.split(/\s+/).filter(Boolean));
if (lanes.length === 0 || lanes.some((l) => l.length === 0)) {
  console.error('usage: node tools/lanes.mjs "script script…" "script…"');
  process.exit(2);
}
const results = await Promise.all(
  lanes.map((lane) =>
    runLane(lane).then((r) => {
      process.stdout.write(r.output);
      return r;
    }),
  ),
);
const failed = results.find((r) => r.code !== 0);
if (failed) {
  console.error(`lanes: npm run ${failed.failed} failed (exit ${failed.code})`);
  process.exit(failed.code);
}
