import { z } from 'zod';
import { type Random, seededRandom } from './rng';

/**
 * Fault injection for chaos and integration tests. Two kinds, both settable at construction and
 * at run time (POST /_admin/faults):
 * - rates: each request draws once from a seeded generator, so the same seed and request order
 *   give the same faults;
 * - a queue of one-shot faults ("the next 2 commands answer 429 with Retry-After: 1"), optionally
 *   limited to requests whose command uri / media path contains a string.
 * Faults only exist here; they are not Blip behaviour except where docs/blip-api.md describes the answer
 * (429 and 504 with empty bodies, dropped connections, hangs).
 */

export const faultSettingsSchema = z.object({
  seed: z.number().int().default(1),
  /** Added before every answer (commands and media). */
  latencyMs: z.number().int().min(0).max(600_000).default(0),
  /** Probability a command answers a 5xx (errorStatus). */
  errorRate: z.number().min(0).max(1).default(0),
  errorStatus: z.number().int().min(500).max(599).default(503),
  /** Probability a command answers 429. */
  rateLimitRate: z.number().min(0).max(1).default(0),
  /** Retry-After (seconds) on 429s; null sends none, as Blip documents none. */
  retryAfterSeconds: z.number().min(0).nullable().default(null),
  /** Probability a command answers 504 (at once, not after 60 s). */
  gatewayTimeoutRate: z.number().min(0).max(1).default(0),
  /** Probability the connection is destroyed without an answer. */
  dropRate: z.number().min(0).max(1).default(0),
  /** Probability the request is never answered (until the client gives up or the simulator closes). */
  hangRate: z.number().min(0).max(1).default(0),
  /** Probability a media body is cut in half after the full Content-Length was announced. */
  truncateMediaRate: z.number().min(0).max(1).default(0),
  /** refresh-media-uri hands out links that have already expired. */
  expiredMediaLinks: z.boolean().default(false),
  /** Apply the error/429/504/drop/hang rates to media downloads too (commands only by default). */
  mediaErrors: z.boolean().default(false),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export const queuedFaultSchema = z.object({
  kind: z.enum([
    'error',
    'rate-limit',
    'gateway-timeout',
    'drop',
    'hang',
    'truncate',
    'latency',
    'expired-link',
    // Answers after authenticating the key, in place of the real response: a LIME failure with
    // this reason (any code, or none, as API.md §1 allows), or a `success` without a resource.
    'lime-failure',
    'malformed-success',
  ]),
  /** How many matching requests it applies to. */
  count: z.number().int().min(1).max(100_000).default(1),
  /**
   * For 'error': 5xx as Blip's servers answer, or a 4xx as an edge in front of the commands URL
   * does (400 for a malformed envelope, 404/405 for a wrong path), with an empty body.
   */
  status: z.number().int().min(400).max(599).optional(),
  /** For 'lime-failure': reason.code (omitted: a failure without a code) and reason.description. */
  reasonCode: z.number().int().optional(),
  description: z.string().optional(),
  retryAfterSeconds: z.number().min(0).nullable().optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  /** Default: media for truncate, commands for everything else. */
  target: z.enum(['commands', 'media']).optional(),
  /** Only requests whose command uri (or media path) contains this string. */
  match: z.string().optional(),
});
export type QueuedFault = z.input<typeof queuedFaultSchema>;
export type StoredFault = z.infer<typeof queuedFaultSchema> & { remaining: number };

export type Target = 'commands' | 'media';

export type FaultAction =
  | { kind: 'none' }
  | { kind: 'status'; status: number; retryAfterSeconds: number | null; label: string }
  | { kind: 'drop' }
  | { kind: 'hang' }
  | { kind: 'truncate' }
  | { kind: 'lime-failure'; reasonCode?: number; description: string }
  | { kind: 'malformed-success' };

export interface FaultDecision {
  action: FaultAction;
  latencyMs: number;
  /** The queued fault this decision used up (absent for a drawn rate or no fault). */
  queued?: StoredFault;
}

const targetOf = (f: { kind: string; target?: Target }): Target =>
  f.target ?? (f.kind === 'truncate' ? 'media' : 'commands');

export class FaultController {
  private settings: FaultSettings;
  private queue: StoredFault[] = [];
  private random: Random;

  constructor(initial: Partial<FaultSettings> = {}) {
    this.settings = faultSettingsSchema.parse(initial);
    this.random = seededRandom(this.settings.seed);
  }

  get current(): { settings: FaultSettings; queue: StoredFault[] } {
    return { settings: { ...this.settings }, queue: this.queue.map((f) => ({ ...f })) };
  }

  /** Merges new settings; a new seed restarts the random sequence. */
  configure(patch: Partial<FaultSettings>): void {
    const next = faultSettingsSchema.parse({ ...this.settings, ...patch });
    if (patch.seed !== undefined) this.random = seededRandom(next.seed);
    this.settings = next;
  }

  enqueue(...faults: QueuedFault[]): void {
    for (const f of faults) {
      const parsed = queuedFaultSchema.parse(f);
      this.queue.push({ ...parsed, remaining: parsed.count });
    }
  }

  /**
   * Puts back one use of a queued fault the request could not carry out (a truncate for a HEAD, a
   * 403 or a 404 has no body to cut), so a queued fault is always served by some request.
   */
  giveBack(fault: StoredFault): void {
    const { remaining: _remaining, ...rest } = fault;
    this.queue.unshift({ ...rest, count: 1, remaining: 1 });
  }

  reset(settings: Partial<FaultSettings> = {}): void {
    this.settings = faultSettingsSchema.parse(settings);
    this.random = seededRandom(this.settings.seed);
    this.queue = [];
  }

  private take(target: Target, subject: string, kinds?: string[]): StoredFault | undefined {
    const index = this.queue.findIndex(
      (f) =>
        targetOf(f) === target &&
        (kinds === undefined || kinds.includes(f.kind)) &&
        (f.kind !== 'expired-link' || kinds !== undefined) &&
        (f.match === undefined || subject.includes(f.match)),
    );
    const fault = this.queue[index];
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.queue.splice(index, 1);
    return fault;
  }

  /** What to do with one request. Draws exactly one random number per call. */
  decide(target: Target, subject: string): FaultDecision {
    const draw = this.random();
    const s = this.settings;
    let latencyMs = s.latencyMs;
    let queued = this.take(target, subject);
    while (queued?.kind === 'latency') {
      latencyMs += queued.latencyMs ?? 0;
      queued = this.take(target, subject);
    }
    if (queued) return { action: this.fromQueued(queued), latencyMs, queued };

    const ratesApply = target === 'commands' || s.mediaErrors;
    const ladder: Array<[number, () => FaultAction]> = [
      [ratesApply ? s.dropRate : 0, () => ({ kind: 'drop' })],
      [ratesApply ? s.hangRate : 0, () => ({ kind: 'hang' })],
      [ratesApply ? s.rateLimitRate : 0, () => this.status(429, s.retryAfterSeconds)],
      [ratesApply ? s.gatewayTimeoutRate : 0, () => this.status(504, null)],
      [ratesApply ? s.errorRate : 0, () => this.status(s.errorStatus, null)],
      [target === 'media' ? s.truncateMediaRate : 0, () => ({ kind: 'truncate' })],
    ];
    let threshold = 0;
    for (const [rate, action] of ladder) {
      threshold += rate;
      if (draw < threshold) return { action: action(), latencyMs };
    }
    return { action: { kind: 'none' }, latencyMs };
  }

  /** Whether the next refresh-media-uri should issue an already-expired link. */
  takeExpiredLink(subject: string): boolean {
    if (this.take('commands', subject, ['expired-link'])) return true;
    return this.settings.expiredMediaLinks;
  }

  private status(status: number, retryAfterSeconds: number | null): FaultAction {
    return {
      kind: 'status',
      status,
      retryAfterSeconds: status === 429 ? retryAfterSeconds : null,
      label: String(status),
    };
  }

  private fromQueued(f: StoredFault): FaultAction {
    switch (f.kind) {
      case 'error':
        return this.status(f.status ?? this.settings.errorStatus, null);
      case 'rate-limit':
        return this.status(
          429,
          f.retryAfterSeconds === undefined ? this.settings.retryAfterSeconds : f.retryAfterSeconds,
        );
      case 'gateway-timeout':
        return this.status(504, null);
      case 'drop':
        return { kind: 'drop' };
      case 'hang':
        return { kind: 'hang' };
      case 'truncate':
        return { kind: 'truncate' };
      case 'lime-failure':
        return {
          kind: 'lime-failure',
          ...(f.reasonCode === undefined ? {} : { reasonCode: f.reasonCode }),
          description: f.description ?? 'An unexpected error occurred',
        };
      case 'malformed-success':
        return { kind: 'malformed-success' };
      default:
        return { kind: 'none' };
    }
  }
}
