import type { SealedMessage } from '../integrity/seal-v2';
import { PDF_LABELS, type PdfLang } from '../pdf/i18n';
import { messageBodyText } from '../pdf/message-text';
import { containsMatch, type Matcher } from './patterns';

/** Blip's ticket event: its content names the participants, which the header record discloses anyway. */
const TICKET_EVENT = 'application/vnd.iris.ticket+json';

/**
 * Which sealed messages a pattern-redacted export must withhold from its seal attachment (their
 * leaf travels as a salted hash, `shownRedacted`): those the pages printed with something replaced
 * (`printedRedacted`), and those whose **sealed** record holds a match — in its display text, its
 * body as the PDF words it, its file names, or its stored content — since the stored values the
 * pages print may differ from the sealed ones, and a shown leaf discloses the whole record.
 * Messages hidden entirely are not listed here (they are withheld as hidden).
 */
export function withheldInPlace(
  messages: readonly SealedMessage[],
  opts: {
    whole: ReadonlySet<string>;
    printedRedacted: ReadonlySet<string>;
    matcher?: Matcher;
    lang: PdfLang;
  },
): Set<string> {
  const labels = PDF_LABELS[opts.lang];
  const out = new Set<string>();
  for (const m of messages) {
    if (opts.whole.has(m.messageId)) continue;
    if (opts.printedRedacted.has(m.messageId)) {
      out.add(m.messageId);
      continue;
    }
    if (!opts.matcher) continue;
    const body = messageBodyText(m, labels);
    const fields: unknown[] = [m.text, body, m.media.map((x) => x.title)];
    if (m.type !== TICKET_EVENT) fields.push(m.content);
    if (containsMatch(opts.matcher, fields)) out.add(m.messageId);
  }
  return out;
}
