import { Context } from '@temporalio/activity';

/**
 * The Temporal activity context, tolerant of its absence: activities are also called directly
 * from tests, outside a worker, where there is no context to heartbeat to.
 */
function current(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

export function heartbeat(details?: unknown): void {
  current()?.heartbeat(details);
}

/**
 * A heartbeat for per-chunk progress: at most one per `intervalMs`. The SDK throttles what it
 * sends to the server anyway; this spares the thousands of calls a large download would make.
 */
export function throttledHeartbeat(intervalMs = 1_000): () => void {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    heartbeat();
  };
}

/** Fires when Temporal cancels the activity (or its heartbeat times out); undefined outside one. */
export function cancellationSignal(): AbortSignal | undefined {
  return current()?.cancellationSignal;
}

/** 1-based attempt number of the running activity (1 outside one). */
export function activityAttempt(): number {
  return current()?.info.attempt ?? 1;
}
