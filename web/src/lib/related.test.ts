import { describe, expect, it } from 'vitest';
import { closeMarkers, placeMarkers, relatedById } from './related';
import type { RelatedTicket, Ticket } from './types';

const ticket = {
  ticketId: 'b',
  sequentialId: 1044,
  status: 'ClosedClient',
  closedAt: '2025-03-12T16:54:56.800Z',
} as Ticket;
const related: RelatedTicket[] = [
  {
    ticketId: 'A',
    sequentialId: 1039,
    relation: 'parent',
    status: 'Transferred',
    closedAt: '2025-03-12T13:48:28.800Z',
  },
  { ticketId: 'c', sequentialId: 1050, relation: 'thread', status: null, closedAt: null },
];

describe('ticket closed markers', () => {
  it('one per ticket with a close time, oldest first, the current one marked', () => {
    const markers = closeMarkers(ticket, related);
    expect(markers.map((m) => [m.sequentialId, m.current])).toEqual([
      [1039, false],
      [1044, true],
    ]);
  });

  it('each goes before the first message after its close, once; the ticket read at the end when all is shown', () => {
    const markers = closeMarkers(ticket, related);
    const messages = [
      { sentAt: '2025-03-12T13:40:00Z' },
      { sentAt: null },
      { sentAt: '2025-03-12T13:50:00Z' },
      { sentAt: '2025-03-12T13:55:00Z' },
    ];
    const partial = placeMarkers(markers, messages, false);
    expect([...partial.before.entries()].map(([i, ms]) => [i, ms.map((m) => m.sequentialId)])).toEqual([
      [2, [1039]],
    ]);
    expect(partial.end).toEqual([]);
    expect(placeMarkers(markers, messages, true).end.map((m) => m.sequentialId)).toEqual([1044]);
    // A related ticket closing after the last message is not drawn as the end of this one.
    const early = [{ sentAt: '2025-03-12T13:40:00Z' }];
    const read = { ...ticket, closedAt: '2025-03-12T13:00:00Z' } as Ticket;
    const both = closeMarkers(read, related);
    expect(placeMarkers(both, early, true).end).toEqual([]);
    expect(
      placeMarkers(both, early, true)
        .before.get(0)
        ?.map((m) => m.sequentialId),
    ).toEqual([1044]);
  });

  it('finds related tickets by id whatever the case', () => {
    expect(relatedById(related).get('a')?.sequentialId).toBe(1039);
  });
});
