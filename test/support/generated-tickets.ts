import { randomUUID } from 'node:crypto';
import type { BlipSimulator } from '../../tools/blip-sim';

/**
 * Closed tickets made up for a test and registered in the simulator, shaped like the fixtures:
 * a WhatsApp customer, a ticket resource as `get /ticket/{id}` returns it, a contact, and the
 * thread's items. Tests say only what matters to them (messages, dates, bot).
 */
type Item = Record<string, unknown>;

/** A random WhatsApp identity `<prefix><digits>@wa.gw.msging.net`. */
export function whatsAppCustomer(prefix = '55119', digits = 8): string {
  return `${prefix}${String(Math.floor(Math.random() * 10 ** digits)).padStart(digits, '0')}@wa.gw.msging.net`;
}

/** `count` text items, customer and agent in turn, one second apart after `start`. */
export function textMessages(
  idPrefix: string,
  count: number,
  start: number,
  textOf: (i: number) => string = (i) => `mensagem ${i}`,
): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${idPrefix}-${i}`,
    direction: i % 2 === 0 ? 'received' : 'sent',
    type: 'text/plain',
    content: textOf(i),
    date: new Date(start + 1000 * (i + 1)).toISOString(),
    status: 'consumed',
  }));
}

/** A customer's media-link item. */
export function mediaLinkMessage(id: string, at: number, content: unknown): Item {
  return {
    id,
    direction: 'received',
    type: 'application/vnd.lime.media-link+json',
    content,
    date: new Date(at).toISOString(),
    status: 'consumed',
  };
}

export interface ClosedTicketSpec {
  bot: string;
  /** Opening time (epoch ms); the ticket closes an hour later unless `closedAt` says otherwise. */
  start: number;
  closedAt?: number;
  id?: string;
  customer?: string;
  sequentialId?: number;
  contactName: string;
  /** The thread's items, given the ticket id (item ids usually derive from it). */
  messages: (ticketId: string) => Item[];
}

/** Registers a closed (ClosedAttendant) ticket in `sim`; returns its id. */
export function addClosedTicket(sim: BlipSimulator, spec: ClosedTicketSpec): string {
  const id = spec.id ?? randomUUID();
  const customer = spec.customer ?? whatsAppCustomer();
  sim.addTicket({
    ticket: {
      id,
      sequentialId: spec.sequentialId ?? 7000 + Math.floor(Math.random() * 1000),
      ownerIdentity: `${spec.bot}@msging.net`,
      customerIdentity: customer,
      customerDomain: 'wa.gw.msging.net',
      status: 'ClosedAttendant',
      closed: true,
      storageDate: new Date(spec.start).toISOString(),
      openDate: new Date(spec.start).toISOString(),
      closeDate: new Date(spec.closedAt ?? spec.start + 3_600_000).toISOString(),
      team: 'Default',
    },
    contact: { identity: customer, name: spec.contactName, phoneNumber: `+${customer.split('@')[0]}` },
    messages: spec.messages(id),
  });
  return id;
}
