import type { Message } from './domain';

/**
 * Whether a message belongs to the ticket's own part of the customer's thread (Blip returns the
 * surrounding thread too, docs/blip-api.md §3): the ticket event itself, undated messages, and messages
 * between the ticket's storage (or open) date and its close date. Used when archiving and again by
 * `verify`, which recomputes the flag from the stored bytes.
 */
export function inTicketWindow(
  message: Message,
  ticketId: string,
  start: Date | null,
  end: Date | null,
): boolean {
  if (message.id === ticketId) return true;
  if (!message.sentAt) return true;
  const at = Date.parse(message.sentAt);
  if (start && at < start.getTime()) return false;
  if (end && at > end.getTime()) return false;
  return true;
}
