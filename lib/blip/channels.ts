import type { Channel } from './domain';

/** Channel domains documented in Blip's `concepts2/channels.md` (docs/blip-api.md §2). */
const CHANNEL_BY_DOMAIN: Record<string, Channel> = {
  'wa.gw.msging.net': 'WhatsApp',
  'instagram.gw.msging.net': 'Instagram',
  'messenger.gw.msging.net': 'Messenger',
  'telegram.gw.msging.net': 'Telegram',
  '0mn.io': 'BlipChat',
  'mailgun.gw.msging.net': 'Email',
  'abs.gw.msging.net': 'Teams',
  'take.io': 'SMS',
  'tunnel.msging.net': 'Tunnel',
};

export const TUNNEL_DOMAIN = 'tunnel.msging.net';

/** The domain part of `name@domain/instance`, lower-cased; null when there is none. */
export function domainOf(identity: string | null | undefined): string | null {
  if (!identity) return null;
  const at = identity.lastIndexOf('@');
  if (at < 0) return null;
  const domain = identity.slice(at + 1).split('/')[0] ?? '';
  return domain === '' ? null : domain.toLowerCase();
}

export function channelOfDomain(domain: string | null | undefined): Channel {
  if (!domain) return 'Other';
  return CHANNEL_BY_DOMAIN[domain.toLowerCase()] ?? 'Other';
}

export function isTunnelIdentity(identity: string | null | undefined): boolean {
  return domainOf(identity) === TUNNEL_DOMAIN;
}

/**
 * A ticket's channel: its `customerDomain` (which for router customers already names the real
 * channel, e.g. wa.gw.msging.net) and otherwise the customer identity's domain.
 */
export function channelOfTicket(customerDomain: string | null, customerIdentity: string | null): Channel {
  const fromDomain = channelOfDomain(customerDomain);
  return fromDomain !== 'Other' ? fromDomain : channelOfDomain(domainOf(customerIdentity));
}
