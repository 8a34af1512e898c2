import { apiGetOrError } from '$lib/server/api';
import type { ContactTickets } from '$lib/types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const identity = event.params.identity;
  const res = await apiGetOrError<ContactTickets>(
    event,
    `/v1/contacts/${encodeURIComponent(identity)}/tickets`,
  );
  return { identity: res.identity, tickets: res.tickets };
};
