import type { Queryable } from './pool';

/**
 * The other archived tickets of the same tenant a ticket points at (issue 15, "Ticket aberto
 * #1044" and transfers): the tickets whose ticket events appear in its messages (Blip returns the
 * customer's whole thread, so a ticket's messages hold the opening of the tickets before and after
 * it), the ticket it was transferred from (`parent_sequential_id`) and the ones transferred from it.
 *
 * Every lookup is bound to `tenantId` and to archived tickets (docs/architecture.md rule 6): a ticket
 * event naming another tenant's ticket id, or a ticket not (or no longer) archived, gives nothing,
 * so the UI can neither link to it nor learn that it exists.
 */
export interface RelatedTicket {
  ticketId: string;
  sequentialId: number | null;
  /** parent: this ticket was transferred from it; child: transferred to it; thread: named by a ticket event. */
  relation: 'parent' | 'child' | 'thread';
  /** Blip's status code and close time: the conversation marks where that ticket ended. */
  status: string | null;
  closedAt: string | null;
}

const TICKET_EVENT = 'application/vnd.iris.ticket+json';

export async function readRelatedTickets(
  db: Queryable,
  tenantId: string,
  ticketId: string,
): Promise<RelatedTicket[]> {
  const { rows } = await db.query<{
    ticket_id: string;
    sequential_id: number | null;
    relation: string;
    status: string | null;
    close_date: Date | null;
  }>(
    `with me as (
       select sequential_id, parent_sequential_id from tickets where tenant_id = $1 and ticket_id = $2
     ),
     named as (
       select distinct lower(m.content ->> 'id') as ticket_id
         from messages m
        where m.tenant_id = $1 and m.ticket_id = $2 and m.type = $3
          and jsonb_typeof(m.content) = 'object'
     )
     select t.ticket_id, t.sequential_id, t.status, t.close_date,
            case when t.sequential_id = (select parent_sequential_id from me) then 'parent'
                 when t.parent_sequential_id = (select sequential_id from me) then 'child'
                 else 'thread' end as relation
       from tickets t
      where t.tenant_id = $1 and t.archived_at is not null and t.ticket_id <> $2
        and (t.ticket_id in (select ticket_id from named)
             or t.sequential_id = (select parent_sequential_id from me)
             or t.parent_sequential_id = (select sequential_id from me))
      order by t.sequential_id nulls last, t.ticket_id
      limit 50`,
    [tenantId, ticketId, TICKET_EVENT],
  );
  return rows.map((r) => ({
    ticketId: r.ticket_id,
    sequentialId: r.sequential_id,
    relation: r.relation as RelatedTicket['relation'],
    status: r.status,
    closedAt: r.close_date ? r.close_date.toISOString() : null,
  }));
}
