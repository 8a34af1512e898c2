export { archiveTicket } from './archive-ticket';
export { exportContactPdf, exportTicketPdf } from './export-pdf';
