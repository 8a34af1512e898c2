import { type ChaosReport, formatReport, runChaos } from '../chaos/run';
import { type DedicatedTypesense, startDedicatedTypesense } from '../support/dedicated-typesense';

/**
 * The bounded chaos run: 32 tickets archived through the real webhook and two worker processes
 * while every fault kind is injected at least once (Blip 5xx/429/504/latency/drops/truncated
 * media/expired links, worker SIGKILL, Postgres, Typesense, GCS emulator and API restarts,
 * duplicate webhooks). Nothing may be lost or duplicated. `npm run chaos` is the full version.
 */
let report: ChaosReport;
let typesense: DedicatedTypesense;

// The Typesense restarts hit a server of this file's own, never the stack's shared one.
beforeAll(async () => {
  typesense = await startDedicatedTypesense();
});
afterAll(async () => {
  await typesense?.close();
});

test('32 tickets under every fault kind: lost 0, duplicated 0', async () => {
  report = await runChaos({
    tickets: 32,
    seed: 7,
    deadlineMs: 210_000,
    windowMs: 30_000,
    workers: 2,
    processFaults: 6,
    maxMediaMb: 2,
    typesense,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  for (const [kind, n] of Object.entries(report.faults)) expect([kind, n > 0]).toEqual([kind, true]);
  expect(report.verify.problems).toEqual([]);
  expect(report.lost).toBe(0);
  expect(report.duplicated).toBe(0);
}, 240_000);
