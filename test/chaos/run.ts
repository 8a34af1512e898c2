import type { LocalService } from '../../infra/services/service';
import { seededRandom } from '../../tools/blip-sim/rng';
import {
  configureBlipFaults,
  countServedBlipFaults,
  deliverWebhooks,
  type FaultKind,
  noFaults,
  scheduleFaults,
} from './faults';
import { createRig, startApi, startArchiveWithTickets, startWorkers, tearDownRig } from './setup';
import type { VerifyReport } from './verify';
import { countActivityRetries, drainWorkflows, verifyChaosRun } from './verify-run';

export type { FaultKind } from './faults';

/**
 * One chaos run: N generated tickets archived from the simulator through the real webhook (an
 * API listening on a port) and real worker child processes, while a seeded schedule injects Blip
 * faults, SIGKILLs workers, restarts Postgres, Typesense, the GCS emulator and the API, and sends
 * duplicate webhooks. Then the stores are audited. Three phases, one file each: setup.ts (archive
 * environment, tickets, API, workers), faults.ts (webhooks with duplicates and the fault schedule),
 * verify-run.ts and verify.ts (drain, retries, the audit of the stores and of Temporal).
 *
 * Every service restarted is started again before the run returns, even when it fails.
 */

export interface ChaosOptions {
  tickets: number;
  seed: number;
  /** Whole run, generation to audit. */
  deadlineMs: number;
  /** Faults are scheduled within this window after the first webhook. */
  windowMs: number;
  workers?: number;
  /** Worker kills and service restarts in the window (each kind at least once). */
  processFaults?: number;
  maxMediaMb?: number;
  log?: (line: string) => void;
  /**
   * The Typesense to restart (and archive into) instead of the stack's: `npm test` passes a
   * dedicated one so the shared server is never restarted.
   */
  typesense?: { service: LocalService; url: string };
}

export interface ChaosReport {
  seed: number;
  tickets: number;
  kinds: Record<string, number>;
  faults: Record<FaultKind, number>;
  webhooks: { sent: number; answers: Record<string, number> };
  retries: { activityRetries: number; activitiesRetried: number; blipRequests: number };
  drainMs: number;
  totalMs: number;
  verify: VerifyReport;
  lost: number;
  duplicated: number;
}

export class ChaosDeadlineError extends Error {
  override name = 'ChaosDeadlineError';
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((l: string) => console.log(l));
  const t0 = Date.now();
  const deadline = t0 + options.deadlineMs;
  const rnd = seededRandom(options.seed);
  const faults = noFaults();
  const checkDeadline = (what: string) => {
    if (Date.now() > deadline)
      throw new ChaosDeadlineError(
        `chaos: global deadline of ${Math.round(options.deadlineMs / 1000)} s exceeded while ${what}`,
      );
  };
  const rig = createRig(options, log);
  try {
    // ── setup ──
    const { archive, tickets, kinds } = await startArchiveWithTickets(rig, options, rnd);
    await startApi(rig, archive);
    await startWorkers(rig, archive, checkDeadline);

    // ── fault injection, while the webhooks arrive ──
    configureBlipFaults(archive.sim, options.seed);
    const sendStart = Date.now();
    const webhooks = deliverWebhooks(rig, tickets, rnd, options, faults, checkDeadline);
    const schedule = scheduleFaults(rig, archive.sim, rnd, options, faults, sendStart, () =>
      startApi(rig, archive),
    );
    await webhooks.all;
    await schedule.injected;
    await schedule.processFaults();
    archive.sim.faults.reset({ seed: options.seed });
    log(`chaos: all webhooks delivered (${webhooks.sent()} sent) and faults injected; draining`);

    // ── verification ──
    await drainWorkflows(archive.temporal, tickets, webhooks.workflowIds, checkDeadline, log);
    const drainMs = Date.now() - sendStart;
    log(`chaos: drained in ${(drainMs / 1000).toFixed(1)} s; auditing the stores`);
    const retries = await countActivityRetries(archive.temporal, webhooks.workflowIds);
    const blipRequests = countServedBlipFaults(archive.sim, faults);
    checkDeadline('auditing');
    const verify = await verifyChaosRun(archive, tickets, webhooks.workflowIds);
    rig.stopping = true;
    await rig.supervisor;
    return {
      seed: options.seed,
      tickets: tickets.length,
      kinds,
      faults,
      webhooks: { sent: webhooks.sent(), answers: webhooks.answers },
      retries: { ...retries, blipRequests },
      drainMs,
      totalMs: Date.now() - t0,
      verify,
      lost: verify.lost,
      duplicated: verify.duplicated,
    };
  } finally {
    await tearDownRig(rig);
    if (deadline - Date.now() < 0) log('chaos: finished after the deadline');
  }
}

export function formatReport(r: ChaosReport): string {
  const rows: Array<[string, string]> = [
    ['seed', String(r.seed)],
    [
      'tickets',
      `${r.tickets} (${Object.entries(r.kinds)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    ],
    ['messages checked', String(r.verify.messages)],
    ['media checked', `${r.verify.media} (${(r.verify.mediaBytes / 1024 / 1024).toFixed(1)} MB distinct)`],
    ...Object.entries(r.faults).map(([k, v]): [string, string] => [`fault: ${k}`, String(v)]),
    [
      'webhooks sent',
      `${r.webhooks.sent} (${Object.entries(r.webhooks.answers)
        .map(([k, v]) => `${k}×${v}`)
        .join(', ')})`,
    ],
    ['activity retries', `${r.retries.activityRetries} (${r.retries.activitiesRetried} activities retried)`],
    ['blip requests', String(r.retries.blipRequests)],
    ['time to drain', `${(r.drainMs / 1000).toFixed(1)} s`],
    ['total run time', `${(r.totalMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`);
  const problems = r.verify.problems.slice(0, 20).map((p) => `  ${p.kind} ${p.ticketId}: ${p.what}`);
  return [
    `| ${'what'.padEnd(width)} | value |`,
    `|${'-'.repeat(width + 2)}|-------|`,
    ...lines,
    '',
    ...(problems.length ? ['problems:', ...problems, ''] : []),
    `lost: ${r.lost}`,
    `duplicated: ${r.duplicated}`,
  ].join('\n');
}
