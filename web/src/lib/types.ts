/** Shapes of the read API's answers (api/routes/read-schemas.ts). */
export interface Contact {
  identity: string | null;
  name: string | null;
  phone: string | null;
  email?: string | null;
}

export interface HighlightSegment {
  text: string;
  match: boolean;
}

export interface TicketHit {
  ticketId: string;
  sequentialId: number | null;
  contact: Contact;
  channel: string | null;
  agent: string | null;
  team: string | null;
  openedAt: string | null;
  closedAt: string | null;
  messageCount: number;
  mediaCount: number;
  highlight?: HighlightSegment[] | null;
}

export interface SearchResult {
  found: number;
  page: number;
  perPage: number;
  hits: TicketHit[];
  /** The words matched more tickets than one search covers: only the best matches were considered. */
  textMatchesCapped?: boolean;
}

export interface Ticket extends TicketHit {
  status: string | null;
  tunnelOriginator: string | null;
  tags: string[];
  closedBy: string | null;
  archivedAt: string | null;
  digest: string | null;
}

export interface Media {
  ordinal: number;
  status: 'stored' | 'unavailable' | 'pending';
  contentType: string | null;
  size: number | null;
  sha256: string | null;
  title: string | null;
  reason: string | null;
  url: string | null;
}

export type Direction = 'customer' | 'agent' | 'bot' | 'system';

export interface Message {
  messageId: string;
  position: number;
  direction: Direction;
  sender: string | null;
  sentAt: string | null;
  type: string;
  text: string;
  content: unknown;
  inTicketWindow: boolean;
  status: string | null;
  media: Media[];
}

export interface TicketPage {
  ticket: Ticket;
  messages: Message[];
  nextAfter: number | null;
}

export interface Session {
  tenantId: string;
  actor: string;
}
