import type { MediaTextPart, MediaTextStatus } from '../db/media-text';
import type { BoundedRun } from './run-bounded';

/** What reading one file came to: never an exception (issue 18: a failure only records why). */
export interface ExtractOutcome {
  status: MediaTextStatus;
  /** Why it is not ok, or a note on an ok result (e.g. pages left out). */
  reason: string | null;
  parts: MediaTextPart[];
  /**
   * The engine could not be started (not installed on this worker): nothing is learned about the
   * file, so the caller retries elsewhere or later instead of recording it.
   */
  engineMissing?: boolean;
}

export const unreadable = (reason: string): ExtractOutcome => ({ status: 'unreadable', reason, parts: [] });

const firstLine = (stderr: string) =>
  stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Estimating resolution|Warning|Detected \d+ diacritics)/i.test(l))
    .slice(-2)
    .join(' | ')
    .slice(0, 300);

/**
 * An engine run that did not succeed, classified: null when it did. Out of time → timeout; killed
 * or out of memory → failed; any other non-zero exit is the engine refusing the file → unreadable.
 */
export function runFailure(run: BoundedRun, what: string, memoryBytes: number): ExtractOutcome | null {
  if (run.spawnError)
    return { status: 'failed', reason: `${what}: ${run.spawnError}`, parts: [], engineMissing: true };
  if (run.timedOut) return { status: 'timeout', reason: `${what} ran out of time`, parts: [] };
  const oom = /bad_alloc|cannot allocate|out of memory|memory exhausted/i.test(run.stderr);
  if (oom || run.signal)
    return {
      status: 'failed',
      reason: oom
        ? `${what} ran out of memory (limit ${Math.round(memoryBytes / 1024 ** 2)} MiB)`
        : `${what} was killed by ${run.signal}`,
      parts: [],
    };
  if (run.code !== 0)
    return {
      status: 'unreadable',
      reason: `${what}: ${firstLine(run.stderr) || `exit ${run.code}`}`,
      parts: [],
    };
  return null;
}

/** Engine output as searchable text: valid UTF-8, no control characters, blank runs collapsed. */
export function cleanText(raw: string): string {
  return (
    raw
      .replace(/\uFFFD/g, '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, ' ')
      .split('\n')
      .map((l) => l.replace(/[ \t]+/g, ' ').trim())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}
