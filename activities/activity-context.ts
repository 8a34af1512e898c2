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

/** Fires when Temporal cancels the activity (or its heartbeat times out); undefined outside one. */
export function cancellationSignal(): AbortSignal | undefined {
  return current()?.cancellationSignal;
}

/** 1-based attempt number of the running activity (1 outside one). */
export function activityAttempt(): number {
  return current()?.info.attempt ?? 1;
}
