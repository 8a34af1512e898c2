export { archiveTicket } from './archive-ticket';
export { backfillTenant } from './backfill-tenant';
export { exportContactPdf, exportTicketPdf } from './export-pdf';
export { extractMediaText } from './extract-media-text';
export { reindexSearch } from './reindex-search';
export { resealTickets } from './reseal-tickets';
export { applyRetention, applyRetentionAll, eraseContact } from './retention';
