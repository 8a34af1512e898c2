import { isBlipError } from './errors';

/**
 * Bounded in-client retries for transient Blip failures. The Temporal activity retries too, so
 * this only smooths short blips: a few attempts with exponential back-off and jitter. A server
 * that asks for a longer pause than `maxDelayMs` (a 429 with its ~2 min default) is not waited
 * out here; the error goes up with `retryAfterMs` so the activity can schedule the next attempt
 * instead of sleeping without heartbeats.
 */
export interface RetryPolicy {
  /** Extra attempts after the first; 0 disables in-client retries. */
  retries: number;
  initialDelayMs: number;
  factor: number;
  /** Longest wait the client will sleep itself; longer Retry-After values are handed to the caller. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 2,
  initialDelayMs: 250,
  factor: 2,
  maxDelayMs: 10_000,
};

export interface RetryAttemptInfo {
  /** 1-based number of the attempt that failed. */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryDeps {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  onRetry?: (info: RetryAttemptInfo) => void;
}

export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const ok =
    Number.isInteger(policy.retries) &&
    policy.retries >= 0 &&
    policy.retries <= 20 &&
    policy.initialDelayMs >= 0 &&
    policy.factor >= 1 &&
    policy.maxDelayMs >= 0;
  if (!ok) throw new RangeError('invalid Blip retry policy: retries 0–20, delays ≥ 0, factor ≥ 1');
  return policy;
}

/** Delay before attempt `attempt + 1`: the server's Retry-After, else exponential with ±20 % jitter. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  error: unknown,
  random: () => number,
): number {
  const asked = isBlipError(error) ? error.retryAfterMs : undefined;
  if (asked !== undefined) return asked;
  const base = policy.initialDelayMs * policy.factor ** (attempt - 1);
  const jitter = 0.8 + random() * 0.4;
  return Math.min(policy.maxDelayMs, Math.round(base * jitter));
}

export async function withRetry<T>(
  policy: RetryPolicy,
  deps: RetryDeps,
  run: (attempt: number) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      const retryable = isBlipError(error) && error.retryable;
      if (!retryable || attempt > policy.retries || signal?.aborted) throw error;
      const delayMs = backoffDelay(policy, attempt, error, deps.random);
      if (delayMs > policy.maxDelayMs) throw error;
      deps.onRetry?.({ attempt, delayMs, error });
      await deps.sleep(delayMs, signal);
    }
  }
}

/** setTimeout as a promise that a signal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
