import { error } from '@sveltejs/kit';
import { apiGet, apiGetOrError } from '$lib/server/api';
import type { ContactTickets, Ticket, TicketPage } from '$lib/types';
import type { PageServerLoad } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const load: PageServerLoad = async (event) => {
  const { ticketId } = event.params;
  if (!UUID.test(ticketId)) error(404, { message: 'not_found' });
  const page = await apiGetOrError<TicketPage>(event, `/v1/tickets/${ticketId}?limit=200`);
  const identity = page.ticket.contact?.identity;
  let others: Ticket[] = [];
  if (identity) {
    const res = await apiGet<ContactTickets>(event, `/v1/contacts/${encodeURIComponent(identity)}/tickets`);
    if (res.ok) others = res.data.tickets;
  }
  return { ticketId: ticketId.toLowerCase(), page, others };
};
