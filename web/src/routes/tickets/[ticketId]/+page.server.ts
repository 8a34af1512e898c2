import { error } from '@sveltejs/kit';
import { apiGet, apiGetOrError } from '$lib/server/api';
import type { ContactTickets, Ticket, TicketPage } from '$lib/types';
import type { PageServerLoad } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const load: PageServerLoad = async (event) => {
  const { ticketId } = event.params;
  if (!UUID.test(ticketId)) error(404, { message: 'not_found' });
  // Opened from a text hit (?at=<position>): load far enough to show that message.
  const atRaw = Number.parseInt(event.url.searchParams.get('at') ?? '', 10);
  const at = Number.isInteger(atRaw) && atRaw >= 0 && atRaw < 2000 ? atRaw : null;
  const limit = at === null ? 200 : Math.min(2000, Math.max(200, at + 50));
  const page = await apiGetOrError<TicketPage>(event, `/v1/tickets/${ticketId}?limit=${limit}`);
  const identity = page.ticket.contact?.identity;
  let others: Ticket[] = [];
  if (identity) {
    const res = await apiGet<ContactTickets>(event, `/v1/contacts/${encodeURIComponent(identity)}/tickets`);
    if (res.ok) others = res.data.tickets;
  }
  return { ticketId: ticketId.toLowerCase(), page, others, at };
};
