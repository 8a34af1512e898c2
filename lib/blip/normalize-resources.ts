import { channelOfTicket, isTunnelIdentity } from './channels';
import type { Contact, Ticket, Tunnel } from './domain';
import { BlipCommandError } from './errors';
import { bool, isObject, isoDate, num, record, str, strings } from './fields';

/** Pure conversions of Blip's ticket, contact and tunnel resources (docs/blip-api.md §3, §4). */

function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (!isObject(value)) {
    throw new BlipCommandError(`Blip returned a ${what} that is not an object`, 'BLIP_MALFORMED_RESOURCE');
  }
  return value;
}

/** `<url-encoded e-mail>@blip.ai` → the e-mail (Blip Desk agent identities, docs/blip-api.md §2). */
export function agentEmailOf(agentIdentity: string | null): string | null {
  if (!agentIdentity) return null;
  const match = /^(.+)@blip\.ai$/i.exec(agentIdentity);
  if (!match?.[1]) return null;
  try {
    const email = decodeURIComponent(match[1]);
    return email.includes('@') ? email : null;
  } catch {
    return null;
  }
}

export function normalizeTicket(resource: unknown): Ticket {
  const raw = requireObject(resource, 'ticket');
  const id = str(raw, 'id');
  if (!id) throw new BlipCommandError('Blip returned a ticket without an id', 'BLIP_MALFORMED_RESOURCE');
  const customerIdentity = str(raw, 'customerIdentity');
  const customerDomain = str(raw, 'customerDomain');
  const agentIdentity = str(raw, 'agentIdentity');
  return {
    id,
    sequentialId: num(raw, 'sequentialId'),
    sequentialSuffix: str(raw, 'sequentialSuffix'),
    ownerIdentity: str(raw, 'routingOwnerIdentity') ?? str(raw, 'ownerIdentity'),
    customerIdentity,
    customerDomain,
    channel: channelOfTicket(customerDomain, customerIdentity),
    viaTunnel: isTunnelIdentity(customerIdentity),
    agentIdentity,
    agentEmail: agentEmailOf(agentIdentity),
    team: str(raw, 'team'),
    provider: str(raw, 'provider'),
    status: str(raw, 'status'),
    storageDate: isoDate(raw.storageDate),
    openDate: isoDate(raw.openDate),
    closeDate: isoDate(raw.closeDate),
    statusDate: isoDate(raw.statusDate),
    firstResponseDate: isoDate(raw.firstResponseDate),
    closed: bool(raw, 'closed') ?? false,
    closedBy: str(raw, 'closedBy'),
    tags: strings(raw, 'tags'),
    parentSequentialId: num(raw, 'parentSequentialId'),
    priority: num(raw, 'priority'),
    rating: num(raw, 'rating'),
    raw,
  };
}

export function normalizeContact(resource: unknown): Contact {
  const raw = requireObject(resource, 'contact');
  const identity = str(raw, 'identity');
  if (!identity) {
    throw new BlipCommandError('Blip returned a contact without an identity', 'BLIP_MALFORMED_RESOURCE');
  }
  return {
    identity,
    name: str(raw, 'name'),
    phoneNumber: str(raw, 'phoneNumber'),
    email: str(raw, 'email'),
    city: str(raw, 'city'),
    source: str(raw, 'source'),
    extras: record(raw, 'extras'),
    raw,
  };
}

export function normalizeTunnel(resource: unknown): Tunnel {
  const raw = requireObject(resource, 'tunnel');
  return {
    owner: str(raw, 'owner'),
    originator: str(raw, 'originator'),
    destination: str(raw, 'destination'),
    raw,
  };
}
