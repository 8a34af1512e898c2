import { normalizeMessage } from '../blip/normalize-message';
import { normalizeContact, normalizeTicket } from '../blip/normalize-resources';
import { inTicketWindow } from '../blip/window';
import { jsonForPostgres, stripNul } from '../db/nul';
import type { StoredTicket } from '../db/seals';
import { asJson, jcs } from './jcs';
import type { SealedMessage, SealedTicketFields } from './seal-v2';
import { sha256Hex } from './seal-v2';

/**
 * Every displayed field recomputed from what Blip sent (the exact bytes of each message in
 * `messages.raw`, the ticket and contact resources in `tickets.raw` / `tickets.contact`) with the
 * same normalisers the archive used, compared with the columns the views read. A column edited
 * after archiving (`update messages set text = …`) shows up here even without a seal.
 */
export interface RawDifference {
  messageId?: string;
  ordinal?: number;
  field: string;
  /** What the raw bytes say. */
  expected: unknown;
  /** What is stored and shown. */
  found: unknown;
}

const same = (a: unknown, b: unknown) => jcs(a ?? null) === jcs(b ?? null);
const text = (v: string | null | undefined) => (v == null ? null : stripNul(v));
const isoMs = (v: string | null) => (v ? new Date(v).toISOString() : null);

export function recomputeFromRaw(stored: StoredTicket): {
  differences: RawDifference[];
  unreadable: string[];
} {
  const differences: RawDifference[] = [];
  const unreadable: string[] = [];
  const { header, messages } = stored.records;
  const shown = header.ticket;
  let windowStart: Date | null = null;
  let windowEnd: Date | null = null;
  try {
    const t = normalizeTicket(stored.ticketRaw);
    const c = stored.contactRaw ? normalizeContact(stored.contactRaw) : null;
    const start = t.storageDate ?? t.openDate;
    windowStart = start ? new Date(start) : null;
    windowEnd = t.closeDate ? new Date(t.closeDate) : null;
    const expected: Partial<SealedTicketFields> = {
      sequentialId: t.sequentialId,
      status: text(t.status),
      channel: t.channel,
      contactIdentity: text(c?.identity) ?? text(t.customerIdentity) ?? '',
      contactName: text(c?.name),
      contactPhone: text(c?.phoneNumber),
      contactEmail: text(c?.email),
      agent: text(t.agentIdentity),
      team: text(t.team),
      tags: t.tags.map(stripNul),
      closedBy: text(t.closedBy),
      openedAt: isoMs(t.openDate ?? t.storageDate),
      closedAt: isoMs(t.closeDate),
      messageCount: messages.length,
      mediaCount: messages.reduce((n, m) => n + m.media.length, 0),
    };
    for (const [key, value] of Object.entries(asJson(expected))) {
      const found = (shown as unknown as Record<string, unknown>)[key];
      if (!same(value, found)) differences.push({ field: `ticket.${key}`, expected: value, found });
    }
  } catch (err) {
    unreadable.push(`ticket resource: ${(err as Error).message}`);
  }

  const ctx = { botIdentity: stored.botIdentity ?? undefined, customerIdentity: stored.customerIdentity };
  stored.messageRows.forEach((row, i) => {
    const shownMessage = messages[i] as SealedMessage;
    if (!row.raw) return;
    if (sha256Hex(row.raw) !== row.rawSha256) {
      differences.push({
        messageId: row.messageId,
        field: 'raw',
        expected: row.rawSha256,
        found: sha256Hex(row.raw),
      });
    }
    let m: ReturnType<typeof normalizeMessage>;
    try {
      m = normalizeMessage(JSON.parse(row.raw.toString('utf8')), ctx);
    } catch (err) {
      unreadable.push(`message ${row.messageId}: ${(err as Error).message}`);
      return;
    }
    const expected: Partial<SealedMessage> = asJson({
      messageId: m.id,
      direction: m.direction,
      sender: text(m.sender),
      sentAt: isoMs(m.sentAt),
      type: stripNul(m.type),
      text: m.text,
      content: jsonForPostgres(m.raw.content ?? null),
      inTicketWindow: inTicketWindow(m, stored.records.header.ticketId, windowStart, windowEnd),
      status: text(m.status),
    });
    for (const [key, value] of Object.entries(expected)) {
      const found = (shownMessage as unknown as Record<string, unknown>)[key];
      if (!same(value, found))
        differences.push({ messageId: row.messageId, field: key, expected: value, found });
    }
    const own = m.media.filter((ref) => !ref.quoted);
    if (own.length !== row.media.length) {
      differences.push({
        messageId: row.messageId,
        field: 'media',
        expected: own.length,
        found: row.media.length,
      });
    }
    own.forEach((ref, ordinal) => {
      const a = row.media.find((x) => x.ordinal === ordinal);
      if (!a) return;
      if (!same(stripNul(ref.contentType), a.declaredType))
        differences.push({
          messageId: row.messageId,
          ordinal,
          field: `media[${ordinal}].declaredType`,
          expected: stripNul(ref.contentType),
          found: a.declaredType,
        });
      if (!same(ref.title === undefined ? null : stripNul(ref.title), a.title))
        differences.push({
          messageId: row.messageId,
          ordinal,
          field: `media[${ordinal}].title`,
          expected: ref.title ?? null,
          found: a.title,
        });
    });
  });
  return { differences, unreadable };
}
