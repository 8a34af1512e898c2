/**
 * The names operators and code share with Temporal, in one place: task queue default, workflow
 * types, workflow ids and search attributes (registered by the local stack and in production).
 */
export const WORKFLOW = {
  archiveTicket: 'archiveTicket',
  exportTicketPdf: 'exportTicketPdf',
  exportContactPdf: 'exportContactPdf',
} as const;

export const SEARCH_ATTRIBUTE = { tenantId: 'TenantId', ticketId: 'TicketId' } as const;

export const archiveWorkflowId = (tenantId: string, ticketId: string) => `archive/${tenantId}/${ticketId}`;
