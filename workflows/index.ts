export { archiveTicket } from './archive-ticket';
