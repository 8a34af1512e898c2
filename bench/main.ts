import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { archiveBench } from './archive';
import type { BenchContext, BenchResult } from './lib/report';
import { renderTable } from './lib/report';
import { openStack } from './lib/stack';
import { mediaBench } from './media';
import { mediaTextBench } from './media-text';
import { pdfBench } from './pdf';
import { searchBench } from './search';
import { webhookBench } from './webhook';

/**
 * `npm run bench [-- --only <name>[,<name>]] [--scale small|full]`: runs the benchmarks against the
 * local stack (selected by the same env vars as `npm run stack`), prints their tables and writes
 * bench/results/<YYYY-MM-DD>.json. Each benchmark runs its baseline in the same run, so the ratios
 * hold on a noisy machine.
 */
const BENCHES: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  webhook: webhookBench,
  archive: archiveBench,
  media: mediaBench,
  'media-text': mediaTextBench,
  search: searchBench,
  pdf: pdfBench,
};

/**
 * Run order: the webhook benchmark goes last because it leaves thousands of started workflows on a
 * task queue no worker serves (they cost Temporal's SQLite file space, not CPU), and the others
 * should meet a fresh server.
 */
const RUN_ORDER = ['archive', 'media', 'media-text', 'pdf', 'search', 'webhook'];

function parseArgs(argv: string[]): { only: string[]; scale: 'small' | 'full' } {
  let only = RUN_ORDER;
  let scale: 'small' | 'full' = 'small';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only')
      only = String(argv[++i] ?? '')
        .split(',')
        .filter(Boolean);
    else if (a === '--scale') {
      const s = argv[++i];
      if (s !== 'small' && s !== 'full') throw new Error('--scale takes small or full');
      scale = s;
    } else if (a === '--quick') scale = 'small';
    else if (a === '--full') scale = 'full';
    else
      throw new Error(
        `unknown argument ${a}; usage: npm run bench -- [--only ${Object.keys(BENCHES).join(',')}] [--scale small|full]`,
      );
  }
  for (const name of only) if (!BENCHES[name]) throw new Error(`unknown benchmark ${name}`);
  return { only: RUN_ORDER.filter((n) => only.includes(n)), scale };
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: os.release(),
    node: process.version,
  };
}

async function main(): Promise<number> {
  const { only, scale } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const log = (l: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${l}`);
  const stack = await openStack(log);
  const results: BenchResult[] = [];
  const failures: Record<string, string> = {};
  try {
    for (const name of only) {
      log(`${name}: start (${scale})`);
      const t0 = Date.now();
      try {
        const r = await (BENCHES[name] as (ctx: BenchContext) => Promise<BenchResult>)({ scale, log });
        r.data.wallSeconds = (Date.now() - t0) / 1000;
        results.push(r);
        for (const t of r.tables) console.log(`\n${renderTable(t)}`);
        for (const n of r.notes) console.log(`- ${n}`);
      } catch (err) {
        failures[name] = (err as Error).stack ?? String(err);
        console.error(`${name} failed: ${(err as Error).stack}`);
      }
      log(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await stack.stop();
  }
  const date = new Date().toISOString().slice(0, 10);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${date}.json`);
  // A run of some benchmarks (--only) replaces those in the day's file and keeps the others.
  const previous = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { results?: Array<{ name: string; scale?: string }> })
    : {};
  const fresh = results.map((r) => ({ name: r.name, scale, tables: r.tables, notes: r.notes, data: r.data }));
  const kept = (previous.results ?? []).filter((r) => !fresh.some((f) => f.name === r.name));
  const report = {
    date: new Date().toISOString(),
    machine: machine(),
    stack: { temporal: stack.env.TEMPORAL_ADDRESS, typesense: stack.env.TYPESENSE_URL },
    results: [...kept, ...fresh].sort(
      (a, b) => Object.keys(BENCHES).indexOf(a.name) - Object.keys(BENCHES).indexOf(b.name),
    ),
    failures,
    totalSeconds: (Date.now() - started) / 1000,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), file)} (${report.totalSeconds.toFixed(0)} s)`);
  return Object.keys(failures).length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
