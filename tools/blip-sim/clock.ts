/**
 * The simulator's notion of "now", which decides whether a signed media link has expired. Real
 * time by default, so the fixtures' links (signed in March 2025) are expired and clients must
 * refresh them, exactly as for a ticket archived late.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ManualClock extends Clock {
  set(at: Date | string): void;
  advance(ms: number): void;
}

export function createManualClock(start: Date | string): ManualClock {
  let current = toDate(start);
  return {
    now: () => new Date(current.getTime()),
    set: (at) => {
      current = toDate(at);
    },
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
    },
  };
}

export function toDate(value: Date | string): Date {
  const date = value instanceof Date ? new Date(value.getTime()) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a date: ${String(value)}`);
  return date;
}
