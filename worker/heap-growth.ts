import v8 from 'node:v8';

/**
 * V8 flags for the worker's memory under a burst (issue 17, docs/performance.md), set at start.
 * V8 flags are process-wide: --heap-growing-percent is read at every GC, so it bounds how far
 * every heap grows past its live set before the next full GC (0 keeps V8's heuristic, up to 4x);
 * --max-semi-space-size is read when an isolate is created, so it sizes the young generation of
 * the workflow thread the SDK creates later (the main isolate already exists). Returns the flags
 * set, for the start-up log.
 */
export function limitHeapGrowth(growingPercent: number, workflowSemiSpaceMb = 0): string[] {
  const flags: string[] = [];
  if (growingPercent > 0) flags.push(`--heap-growing-percent=${growingPercent}`);
  if (workflowSemiSpaceMb > 0) flags.push(`--max-semi-space-size=${workflowSemiSpaceMb}`);
  for (const flag of flags) v8.setFlagsFromString(flag);
  return flags;
}
