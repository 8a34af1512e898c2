import { BlockList, isIP } from 'node:net';
import type { TrustProxy } from '../../lib/config';

/** Fastify's trustProxy function: may the proxy at `address`, `hop` steps from us, be believed? */
export type TrustProxyFn = (address: string, hop: number) => boolean;

/** Where an ingress or load balancer in front of the API lives: loopback and private networks. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

/** ::ffff:10.1.2.3 (a v4 client on a dual-stack socket) is checked as 10.1.2.3. */
function normalise(address: string): { address: string; type: 'ipv4' | 'ipv6' } | null {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const v = isIP(plain);
  return v === 0 ? null : { address: plain, type: v === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * TRUST_PROXY as the function Fastify asks for each hop of X-Forwarded-For, from the socket back.
 * Fastify 5 refuses a bare hop count (a client reaching the API directly could send enough
 * forged hops), so a count here also requires each counted proxy to sit on a loopback or private
 * network; a list trusts exactly those addresses/CIDRs. Null trusts nobody: req.ip is the socket's.
 */
export function trustProxyFn(setting: TrustProxy): TrustProxyFn {
  if (setting === null) return () => false;
  if ('hops' in setting) {
    const { hops } = setting;
    return (address, hop) => {
      const a = normalise(address);
      return hop < hops && a !== null && PRIVATE.check(a.address, a.type);
    };
  }
  const list = new BlockList();
  for (const entry of setting.proxies) {
    const [net = '', prefix] = entry.split('/');
    const type = isIP(net) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(prefix), type);
  }
  return (address) => {
    const a = normalise(address);
    return a !== null && list.check(a.address, a.type);
  };
}
