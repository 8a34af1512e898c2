import { request } from 'undici';
import type { BlipSimulator } from '../../tools/blip-sim';
import type { Random } from '../../tools/blip-sim/rng';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import type { ChaosOptions } from './run';
import { type ChaosRig, killGroup, sleep, type WorkerProcess } from './setup';
import type { ExpectedTicket } from './tickets';

/**
 * Chaos fault injection: Blip faults (background rates and queued bursts of every kind), the
 * webhooks delivered at least once with duplicates, and a seeded schedule of worker kills and
 * service and API restarts. Every fault injected is counted by kind.
 */

export type FaultKind =
  | 'blip-5xx'
  | 'blip-429'
  | 'blip-504'
  | 'blip-latency'
  | 'blip-drop'
  | 'blip-truncated-media'
  | 'blip-expired-link'
  | 'worker-sigkill'
  | 'postgres-restart'
  | 'typesense-restart'
  | 'gcs-restart'
  | 'api-restart'
  | 'duplicate-webhook';

const BLIP_KINDS = [
  'blip-5xx',
  'blip-429',
  'blip-504',
  'blip-latency',
  'blip-drop',
  'blip-truncated-media',
  'blip-expired-link',
];
const PROCESS_KINDS = [
  'worker-sigkill',
  'postgres-restart',
  'typesense-restart',
  'gcs-restart',
  'api-restart',
];

export function noFaults(): Record<FaultKind, number> {
  return Object.fromEntries(
    ([...BLIP_KINDS, ...PROCESS_KINDS, 'duplicate-webhook'] as FaultKind[]).map((k) => [k, 0]),
  ) as Record<FaultKind, number>;
}

/** Background Blip fault rates (seeded), plus one of each kind queued so even a small run meets them all. */
export function configureBlipFaults(sim: BlipSimulator, seed: number): void {
  sim.faults.configure({
    seed,
    errorRate: 0.03,
    rateLimitRate: 0.02,
    retryAfterSeconds: 1,
    gatewayTimeoutRate: 0.01,
    dropRate: 0.01,
    truncateMediaRate: 0.05,
    latencyMs: 0,
    mediaErrors: true,
  });
  sim.faults.enqueue(
    { kind: 'truncate', count: 2 },
    { kind: 'error', status: 503, count: 1 },
    { kind: 'rate-limit', retryAfterSeconds: 1, count: 1 },
    { kind: 'gateway-timeout', count: 1 },
    { kind: 'drop', count: 1 },
    { kind: 'expired-link', count: 1 },
  );
}

export interface Deliveries {
  /** Every webhook of every ticket delivered (accepted with a workflow id). */
  all: Promise<unknown>;
  workflowIds: Map<string, string>;
  answers: Record<string, number>;
  sent: () => number;
}

/**
 * Webhooks, at-least-once: each ticket's at a seeded moment, some tickets' two to four times
 * (some copies racing the first, some much later). A 5xx, 429 or dropped connection is retried.
 */
export function deliverWebhooks(
  rig: ChaosRig,
  tickets: ExpectedTicket[],
  rnd: Random,
  options: ChaosOptions,
  faults: Record<FaultKind, number>,
  checkDeadline: (what: string) => void,
): Deliveries {
  const answers: Record<string, number> = {};
  let sent = 0;
  const tally = (k: string) => {
    answers[k] = (answers[k] ?? 0) + 1;
  };
  const workflowIds = new Map<string, string>();
  const deliver = async (t: ExpectedTicket) => {
    for (let attempt = 0; ; attempt++) {
      checkDeadline(`delivering the webhook of ${t.id}`);
      sent++;
      try {
        const res = await request(`http://127.0.0.1:${rig.apiPort}/v1/tickethistory`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ticket: t.id, auth: botAuthorization(t.bot) }),
          headersTimeout: 15_000,
          bodyTimeout: 15_000,
        });
        const body = (await res.body.json().catch(() => ({}))) as { workflowId?: string };
        tally(String(res.statusCode));
        if (res.statusCode === 202 && body.workflowId) {
          workflowIds.set(t.id, body.workflowId);
          return;
        }
        if (res.statusCode < 500 && res.statusCode !== 429)
          throw new Error(`webhook for ${t.id} answered ${res.statusCode}: ${JSON.stringify(body)}`);
      } catch (err) {
        if ((err as Error).message.startsWith('webhook for')) throw err;
        tally(`conn:${(err as { code?: string }).code ?? 'error'}`);
      }
      await sleep(Math.min(200 * 2 ** attempt, 2_000));
    }
  };
  const duplicateTickets = new Set(tickets.filter(() => rnd() < 0.3).map((t) => t.id));
  const spread = Math.min(options.windowMs * 0.6, tickets.length * 150);
  const deliveries: Promise<void>[] = [];
  for (const t of tickets) {
    const at = rnd() * spread;
    const copies = duplicateTickets.has(t.id) ? 2 + Math.floor(rnd() * 3) : 1;
    const later = rnd() * options.windowMs;
    deliveries.push(
      (async () => {
        await sleep(at);
        const first = [deliver(t)];
        // Some copies concurrently (a Blip retry racing the first), some much later.
        for (let c = 1; c < copies; c++) {
          faults['duplicate-webhook']++;
          first.push(c % 2 === 1 ? deliver(t) : sleep(later).then(() => deliver(t)));
        }
        await Promise.all(first);
      })(),
    );
  }
  return { all: Promise.all(deliveries), workflowIds, answers, sent: () => sent };
}

export interface FaultSchedule {
  /** Every scheduled fault injected. */
  injected: Promise<void>;
  /** The process fault still running, if any (they never overlap). */
  processFaults: () => Promise<void>;
}

/**
 * The seeded fault schedule within the window: every process kind at least once (worker SIGKILL,
 * Postgres, Typesense, GCS emulator and API restarts) plus `processFaults` in all, and two bursts
 * of every Blip kind. Process faults run one after another.
 */
export function scheduleFaults(
  rig: ChaosRig,
  sim: BlipSimulator,
  rnd: Random,
  options: ChaosOptions,
  faults: Record<FaultKind, number>,
  sendStart: number,
  restartApi: () => Promise<void>,
): FaultSchedule {
  const { log } = rig;
  type Event = { at: number; kind: string };
  const extra = Math.max(0, (options.processFaults ?? PROCESS_KINDS.length + 1) - PROCESS_KINDS.length);
  const events: Event[] = [
    ...PROCESS_KINDS.map((kind) => ({ kind, at: 0 })),
    ...Array.from({ length: extra }, () => ({
      kind: PROCESS_KINDS[Math.floor(rnd() * PROCESS_KINDS.length)] as string,
      at: 0,
    })),
    ...BLIP_KINDS.flatMap((kind) => [
      { kind, at: 0 },
      { kind, at: 0 },
    ]),
  ];
  for (const e of events) e.at = 1_000 + rnd() * (options.windowMs - 1_000);
  events.sort((a, b) => a.at - b.at);
  const elapsed = () => `+${((Date.now() - sendStart) / 1000).toFixed(1)}s`;
  // Process faults never overlap: a restart waits for the previous one to finish.
  let processChain: Promise<void> = Promise.resolve();
  const restartService = async (name: string, kind: FaultKind) => {
    const service = rig.services[name];
    if (!service) throw new Error(`no service ${name}`);
    log(`chaos: ${elapsed()} ${kind}`);
    faults[kind]++;
    await service.stop();
    await sleep(500 + rnd() * 2_000);
    await service.start();
  };
  const inject = async (kind: string) => {
    const n = 1 + Math.floor(rnd() * 3);
    switch (kind) {
      case 'blip-5xx':
        sim.faults.enqueue({ kind: 'error', status: rnd() < 0.5 ? 500 : 503, count: n });
        sim.faults.enqueue({ kind: 'error', status: 502, count: 1, target: 'media' });
        return;
      case 'blip-429':
        sim.faults.enqueue({ kind: 'rate-limit', retryAfterSeconds: 1, count: n });
        return;
      case 'blip-504':
        sim.faults.enqueue({ kind: 'gateway-timeout', count: n });
        return;
      case 'blip-latency':
        faults['blip-latency'] += n + 1;
        sim.faults.enqueue({ kind: 'latency', latencyMs: 1_500, count: n });
        sim.faults.enqueue({ kind: 'latency', latencyMs: 1_500, count: 1, target: 'media' });
        return;
      case 'blip-drop':
        sim.faults.enqueue({ kind: 'drop', count: n });
        sim.faults.enqueue({ kind: 'drop', count: 1, target: 'media' });
        return;
      case 'blip-truncated-media':
        sim.faults.enqueue({ kind: 'truncate', count: n });
        return;
      case 'blip-expired-link':
        // The next refreshes hand out links that have already expired.
        sim.faults.enqueue({ kind: 'expired-link', count: n });
        return;
    }
    processChain = processChain.then(async () => {
      switch (kind) {
        case 'worker-sigkill': {
          const i = Math.floor(rnd() * rig.slots);
          const w = rig.workers[i] as WorkerProcess;
          log(`chaos: ${elapsed()} worker-sigkill ${w.name}`);
          faults['worker-sigkill']++;
          killGroup(w);
          await w.exited;
          return; // the supervisor starts a new one
        }
        case 'postgres-restart':
          return restartService('postgres', 'postgres-restart');
        case 'typesense-restart':
          return restartService('typesense', 'typesense-restart');
        case 'gcs-restart':
          return restartService('gcs', 'gcs-restart');
        case 'api-restart': {
          log(`chaos: ${elapsed()} api-restart`);
          faults['api-restart']++;
          const old = rig.app;
          rig.app = null;
          await old?.close();
          await sleep(300 + rnd() * 1_500);
          await restartApi();
          return;
        }
      }
    });
    await processChain;
  };
  const injected = Promise.all(
    events.map(async (e) => {
      await sleep(e.at);
      await inject(e.kind);
    }),
  ).then(() => undefined);
  return { injected, processFaults: () => processChain };
}

/**
 * Faults the simulator actually served, from its request log (background rates included);
 * returns how many requests the log holds.
 */
export function countServedBlipFaults(sim: BlipSimulator, faults: Record<FaultKind, number>): number {
  const requestLog = sim.requestLog;
  for (const e of requestLog) {
    const f = e.fault ?? '';
    if (/^5\d\d$/.test(f) && f !== '504') faults['blip-5xx']++;
    else if (f === '429') faults['blip-429']++;
    else if (f === '504') faults['blip-504']++;
    else if (f === 'drop' || f === 'hang') faults['blip-drop']++;
    else if (f === 'truncate' || e.outcome === 'truncated') faults['blip-truncated-media']++;
    if (e.kind === 'media' && e.status === 403) faults['blip-expired-link']++;
  }
  return requestLog.length;
}
