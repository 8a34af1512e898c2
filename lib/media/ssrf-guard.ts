import dns from 'node:dns';
import net from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { MediaLinkError } from './errors';

/**
 * The SSRF guard: a media link comes from the public (via Blip), so it is fetched only over
 * http(s), only from a public address (or a configured Blip media origin), never through a
 * redirect (the downloader refuses those), and the address checked is the one connected to.
 */

const blocked = new net.BlockList();
for (const [net4, bits] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net4, bits, 'ipv4');
for (const [net6, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64 (embeds an IPv4 address)
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (fd00::/8 included)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net6, bits, 'ipv6');

/** Why an IP address must not be fetched from, or null when it is a public address. */
export function forbiddenAddress(address: string): string | null {
  const family = net.isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  // BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 rules too.
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')
    ? `${address} is a loopback, private, link-local or reserved address`
    : null;
}

export function normalizeOrigins(origins: readonly string[]): string[] {
  return origins.flatMap((o) => {
    try {
      return [new URL(o.trim()).origin];
    } catch {
      return [];
    }
  });
}

export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

/**
 * DNS lookup used by the guarded agent at connect time: the address actually connected to is
 * the one checked, so a name that resolves to a public address for the check and a private one
 * for the connection (DNS rebinding) is refused too.
 */
const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const list = addresses as dns.LookupAddress[];
    for (const a of list) {
      const why = forbiddenAddress(a.address);
      if (why) return callback(new RefusedAddressError(`${hostname} resolves to ${why}`), '', 4);
    }
    if ((options as dns.LookupOptions).all)
      return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    const first = list[0];
    if (!first) return callback(new RefusedAddressError(`${hostname} has no address`), '', 4);
    return callback(null, first.address, first.family);
  });
};

const guardedAgent = new Agent({ connect: { lookup: guardedLookup }, keepAliveTimeout: 5_000 });

/** Resolves a host name to every address it has (dns.promises.lookup with `all`). */
export type HostLookup = (host: string) => Promise<dns.LookupAddress[]>;

const systemLookup: HostLookup = (host) => dns.promises.lookup(host, { all: true });

export type UrlVerdict = { ok: true; dispatcher?: Dispatcher } | { ok: false; reason: string };

/** Checks a media link before it is fetched; allowed origins skip the address checks. */
export async function checkMediaUrl(
  uri: string,
  allowedOrigins: readonly string[] = [],
  lookup: HostLookup = systemLookup,
): Promise<UrlVerdict> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `not fetched: ${url.protocol} links are never followed` };
  }
  if (url.username || url.password)
    return { ok: false, reason: 'not fetched: links with credentials are refused' };
  if (normalizeOrigins(allowedOrigins).includes(url.origin)) return { ok: true };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) {
    const why = forbiddenAddress(host);
    return why
      ? { ok: false, reason: `not fetched (SSRF guard): ${why}` }
      : { ok: true, dispatcher: guardedAgent };
  }
  let addresses: dns.LookupAddress[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA')
      return { ok: false, reason: `not fetched: host ${host} does not resolve` };
    // EAI_AGAIN and the like: the resolver may answer later, so retry (within the item's budget).
    throw new MediaLinkError(`media host lookup failed: ${code ?? (err as Error).message}`);
  }
  for (const a of addresses) {
    const why = forbiddenAddress(a.address);
    if (why) return { ok: false, reason: `not fetched (SSRF guard): ${host} resolves to ${why}` };
  }
  return { ok: true, dispatcher: guardedAgent };
}
