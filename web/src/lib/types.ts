/**
 * The read API's answers, as its route schemas describe them (api/routes/*.ts): derived from
 * ./api/openapi.d.ts, which `npm run openapi` generates from the server's OpenAPI document, so a
 * schema change reaches the UI's types (and svelte-check) instead of drifting from a copy.
 */
import type { paths } from './api/openapi';

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

/** The JSON body a route answers with for one status (200 unless said). */
export type ApiResponse<
  P extends keyof paths,
  M extends Method & keyof paths[P],
  S extends number = 200,
> = paths[P][M] extends { responses: infer R }
  ? S extends keyof R
    ? R[S] extends { content: { 'application/json': infer J } }
      ? J
      : never
    : never
  : never;

/** The JSON body a route accepts. */
export type ApiBody<P extends keyof paths, M extends Method & keyof paths[P]> = paths[P][M] extends {
  requestBody: { content: { 'application/json': infer J } };
}
  ? J
  : never;

export type SearchResult = ApiResponse<'/v1/tickets', 'get'>;
export type TicketHit = SearchResult['hits'][number];
export type HighlightSegment = NonNullable<TicketHit['highlight']>[number];
export type TicketPage = ApiResponse<'/v1/tickets/{ticketId}', 'get'>;
export type Ticket = NonNullable<TicketPage['ticket']>;
export type Contact = NonNullable<Ticket['contact']>;
export type Message = TicketPage['messages'][number];
export type Direction = NonNullable<Message['direction']>;
export type Media = NonNullable<Message['media']>[number];
export type ContactTickets = ApiResponse<'/v1/contacts/{identity}/tickets', 'get'>;
export type Session = ApiResponse<'/v1/session', 'get'>;
export type LoginBody = ApiBody<'/v1/session', 'post'>;
export type ExportStarted = ApiResponse<'/v1/tickets/{ticketId}/exports', 'post', 202>;
export type ExportStatus = ApiResponse<'/v1/exports/{exportId}', 'get'>;
export type RelatedTicket = TicketPage['related'][number];
