import { randomUUID } from 'node:crypto';
import type { FixtureSet, HostileMedia, JsonObject, SimBot, SimMedia, SimTicket } from './fixtures';

/**
 * Everything the simulated Blip knows: bots, tickets (with their thread, contact and tunnel) and
 * media — loaded from a fixture directory, plus whatever tests register at run time
 * (`addTicket`, `addMedia`). Every lookup is scoped to the calling bot, as Blip scopes a key.
 */

export interface AddTicketInput {
  /** The ticket resource; needs id, ownerIdentity (a bot) and customerIdentity. */
  ticket: JsonObject;
  /** Thread-message items, oldest first. */
  messages?: JsonObject[];
  contact?: JsonObject;
  tunnel?: JsonObject;
}

export interface AddMediaInput {
  /** URL path as links will carry it (percent-encoded); default /secure-medias/Media_<uuid>. */
  path?: string;
  contentType: string;
  requiresSignature?: boolean;
  /** Either the bytes, or a size (and seed) for generated content that is never held in memory. */
  bytes?: Buffer;
  generate?: { size: number; seed?: number };
  /** Make the link misbehave for ever (see HostileMedia). */
  hostile?: HostileMedia;
}

export class SimStore {
  readonly bots: SimBot[];
  private readonly tickets = new Map<string, SimTicket>();
  private readonly media = new Map<string, SimMedia>();

  constructor(fixtures: FixtureSet) {
    // A copy: rotating a bot's key (setBotKey) must not change the loaded fixtures.
    this.bots = fixtures.bots.map((b) => ({ ...b }));
    for (const t of fixtures.tickets) this.tickets.set(t.id, t);
    for (const m of fixtures.media) this.media.set(mediaKey(m.path), m);
  }

  /** Blip identifiers are case-insensitive (docs/blip-api.md §2); the secret is not. */
  botByCredentials(identifier: string, secret: string): SimBot | undefined {
    const id = identifier.toLowerCase();
    return this.bots.find((b) => b.identifier.toLowerCase() === id && b.secret === secret);
  }

  /**
   * Rotates a bot's key as the portal does: `accessKey` is what Blip shows (base64 of the secret).
   * From now on only the new key authenticates.
   */
  setBotKey(identifier: string, accessKey: string): SimBot {
    const bot = this.bots.find((b) => b.identifier === identifier);
    if (!bot) throw new TypeError(`setBotKey: no bot ${identifier}`);
    const secret = Buffer.from(accessKey, 'base64').toString('utf8');
    if (secret === '') throw new TypeError('setBotKey: accessKey must be base64 of a non-empty secret');
    bot.secret = secret;
    return bot;
  }

  addTicket(input: AddTicketInput): SimTicket {
    const t = input.ticket;
    for (const field of ['id', 'ownerIdentity', 'customerIdentity']) {
      if (typeof t[field] !== 'string' || t[field] === '')
        throw new TypeError(`addTicket: ticket.${field} is required`);
    }
    const messages = input.messages ?? [];
    for (const [i, m] of messages.entries()) {
      if (typeof m.id !== 'string' || m.id === '')
        throw new TypeError(`addTicket: messages[${i}].id is required`);
    }
    if (input.contact && typeof input.contact.identity !== 'string') {
      throw new TypeError('addTicket: contact.identity is required');
    }
    const ticket: SimTicket = {
      id: String(t.id),
      resource: t,
      messages,
      ...(input.contact ? { contact: input.contact } : {}),
      ...(input.tunnel ? { tunnel: input.tunnel } : {}),
    };
    this.tickets.set(ticket.id, ticket);
    return ticket;
  }

  addMedia(input: AddMediaInput): SimMedia {
    const path = input.path ?? `/secure-medias/Media_${randomUUID()}`;
    if (!path.startsWith('/')) throw new TypeError('addMedia: path must start with "/"');
    let item: SimMedia;
    if (input.bytes) {
      item = {
        path,
        contentType: input.contentType,
        size: input.bytes.length,
        requiresSignature: input.requiresSignature ?? true,
        source: { kind: 'bytes', bytes: input.bytes },
      };
    } else if (input.generate) {
      const { size, seed = 1 } = input.generate;
      if (!Number.isInteger(size) || size < 0)
        throw new TypeError('addMedia: generate.size must be a non-negative integer');
      item = {
        path,
        contentType: input.contentType,
        size,
        requiresSignature: input.requiresSignature ?? true,
        source: { kind: 'generated', seed },
      };
    } else {
      throw new TypeError('addMedia: give bytes or generate');
    }
    if (input.hostile) item.hostile = input.hostile;
    this.media.set(mediaKey(path), item);
    return item;
  }

  ticketCount(): number {
    return this.tickets.size;
  }

  mediaCount(): number {
    return this.media.size;
  }

  /** The ticket if it exists and belongs to `caller`; another bot's ticket is as good as missing. */
  ticketOf(caller: string, id: string): SimTicket | undefined {
    const t = this.tickets.get(id);
    return t && t.resource.ownerIdentity === caller ? t : undefined;
  }

  ticketsOf(caller: string): SimTicket[] {
    return [...this.tickets.values()].filter((t) => t.resource.ownerIdentity === caller);
  }

  /** The caller's most recent contact record for `identity` (tickets ordered by storageDate). */
  contactOf(caller: string, identity: string): JsonObject | undefined {
    const matching = this.ticketsOf(caller)
      .filter((t) => t.contact?.identity === identity)
      .sort((a, b) => dateOf(a.resource.storageDate) - dateOf(b.resource.storageDate));
    return matching[matching.length - 1]?.contact;
  }

  /** tunnel.json of the caller's ticket whose customer is `<uuid>@tunnel.msging.net`. */
  tunnelOf(caller: string, uuid: string): JsonObject | undefined {
    const identity = `${uuid}@tunnel.msging.net`.toLowerCase();
    return this.ticketsOf(caller).find(
      (t) => t.tunnel && String(t.resource.customerIdentity).toLowerCase() === identity,
    )?.tunnel;
  }

  /** Every message of the caller's tickets with this customer, deduplicated, oldest first. */
  threadOf(caller: string, identity: string): JsonObject[] {
    const seen = new Set<string>();
    const items: JsonObject[] = [];
    for (const t of this.ticketsOf(caller)) {
      if (t.resource.customerIdentity !== identity) continue;
      for (const m of t.messages) {
        const id = String(m.id);
        if (seen.has(id)) continue;
        seen.add(id);
        items.push(m);
      }
    }
    // Stable: items with equal dates keep their fixture order.
    return items.sort((a, b) => dateOf(a.date) - dateOf(b.date));
  }

  mediaAt(path: string): SimMedia | undefined {
    return this.media.get(mediaKey(path));
  }

  /** A media item whose path contains `id` (for `get /refresh-media-uri/{id}`). */
  mediaContaining(id: string): SimMedia | undefined {
    const needle = mediaKey(id);
    return [...this.media.values()].find((m) => mediaKey(m.path).includes(needle));
  }
}

/** Paths compare decoded, so `%28` and `(` (or `%40` and `@`) name the same blob. */
export function mediaKey(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function dateOf(value: unknown): number {
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}
