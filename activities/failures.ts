import { ApplicationFailure } from '@temporalio/common';

/**
 * Maps our typed errors to Temporal failures: errors that say `retryable: false` (bad key,
 * ticket not found, client bug) end the workflow with a readable message; the rest retry with
 * the activity's back-off, or after the server's Retry-After when it gave one.
 */
interface ClassifiedError {
  name: string;
  message: string;
  retryable?: boolean;
  retryAfterMs?: number;
}

export function toTemporalFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const e = err as ClassifiedError;
  if (e && typeof e === 'object' && e.retryable === false) {
    return ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true });
  }
  if (e && typeof e === 'object' && typeof e.retryAfterMs === 'number' && e.retryAfterMs > 0) {
    return ApplicationFailure.create({
      message: e.message,
      type: e.name,
      nonRetryable: false,
      nextRetryDelay: e.retryAfterMs,
    });
  }
  return err;
}

/** Wraps an activity so every throw goes through toTemporalFailure. */
export function classified<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toTemporalFailure(err);
    }
  };
}
