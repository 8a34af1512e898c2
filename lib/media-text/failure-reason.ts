import type { ExtractOutcome } from './outcome';

/** A bounded metric label for why a file was not read (the full reason is in media_text.reason). */
export function failureReason(o: ExtractOutcome): string | null {
  if (o.status === 'ok') return null;
  if (o.status === 'timeout') return 'timeout';
  const r = o.reason ?? '';
  if (/out of memory/.test(r)) return 'memory';
  if (o.status === 'failed') return 'crash';
  if (/pixels is over the cap/.test(r)) return 'pixels';
  if (/bytes/.test(r) && /cap/.test(r)) return 'bytes';
  if (/no text to read|not a readable image or document/.test(r)) return 'unsupported';
  return 'corrupt';
}
