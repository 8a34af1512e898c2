import type { RelatedTicket, Ticket } from './types';

/**
 * Where each ticket of a conversation ended (issue 15): the ticket being read and the related
 * tickets the API returned (only archived tickets of the same tenant: lib/db/related-tickets.ts).
 * Blip's thread has no "ticket closed" message, so the page draws one at the close time.
 */
export interface CloseMarker {
  ticketId: string;
  sequentialId: number | null;
  status: string | null;
  closedAt: string;
  /** The ticket being read (its marker is not a link). */
  current: boolean;
}

export function closeMarkers(ticket: Ticket, related: RelatedTicket[]): CloseMarker[] {
  const out: CloseMarker[] = [];
  if (ticket.ticketId && ticket.closedAt)
    out.push({
      ticketId: ticket.ticketId,
      sequentialId: ticket.sequentialId ?? null,
      status: ticket.status ?? null,
      closedAt: ticket.closedAt,
      current: true,
    });
  for (const r of related)
    if (r.closedAt && !out.some((m) => m.ticketId === r.ticketId))
      out.push({
        ticketId: r.ticketId,
        sequentialId: r.sequentialId,
        status: r.status,
        closedAt: r.closedAt,
        current: false,
      });
  return out.sort((a, b) => Date.parse(a.closedAt) - Date.parse(b.closedAt));
}

/**
 * Where the markers go among the messages shown: each just before the first dated message sent
 * after its close (index → markers), and the ticket being read after the last message once the
 * whole conversation is shown (`end`; while more can load it waits, later messages may come
 * first). A related ticket that closed after the last message is left out: its conversation is not
 * in this thread, and a marker there would read as if it ended this one.
 */
export function placeMarkers(
  markers: CloseMarker[],
  messages: Array<{ sentAt?: string | null }>,
  complete: boolean,
): { before: Map<number, CloseMarker[]>; end: CloseMarker[] } {
  const pending = [...markers];
  const before = new Map<number, CloseMarker[]>();
  messages.forEach((m, i) => {
    const at = m.sentAt ? Date.parse(m.sentAt) : Number.NaN;
    if (Number.isNaN(at)) return;
    const due: CloseMarker[] = [];
    while (pending.length && Date.parse(pending[0]?.closedAt ?? '') < at)
      due.push(pending.shift() as CloseMarker);
    if (due.length) before.set(i, due);
  });
  return { before, end: complete ? pending.filter((m) => m.current) : [] };
}

/** The related tickets by id (lower case), to turn a ticket event's "#1044" into a link. */
export function relatedById(related: RelatedTicket[]): Map<string, RelatedTicket> {
  return new Map(related.map((r) => [r.ticketId.toLowerCase(), r]));
}
