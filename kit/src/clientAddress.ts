import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/**
 * Which peers may tell us the client's address in `X-Forwarded-For`: none by
 * default, so a raw header from anywhere is never believed. `TRUST_PROXY`
 * names the reverse proxies (addresses or CIDR ranges, comma-separated, or
 * express's names `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = (address: string, hop: number) => boolean;

export const TRUST_NO_PROXY: TrustProxy = () => false;

export function trustProxyFrom(value: string | undefined): TrustProxy {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) return TRUST_NO_PROXY;
  try {
    return proxyaddr.compile(list);
  } catch (error) {
    throw new Error(`TRUST_PROXY: ${(error as Error).message}`);
  }
}

/**
 * The client's address for rate limits and logs: the socket's peer, or, when
 * that peer is a trusted proxy, the nearest address in `X-Forwarded-For` that
 * is not one (the same rule as express's `req.ip`). IPv4-mapped IPv6 is
 * written as plain IPv4, so one client has one key.
 */
export function clientAddress(request: IncomingMessage, trust: TrustProxy): string {
  let address: string;
  try {
    address = proxyaddr(request as Parameters<typeof proxyaddr>[0], trust);
  } catch {
    address = request.socket?.remoteAddress ?? 'unknown';
  }
  return address.startsWith('::ffff:') ? address.slice(7) : address || 'unknown';
}

/**
 * The key limits count an address under: an IPv4 address as it is (IPv4
 * mapped into IPv6 included), an IPv6 address by its /64, because one host
 * (one home, one ISP customer) usually holds a whole /64 and could otherwise
 * draw a fresh address for every try.
 */
export function addressKey(address: string): string {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return address;
  }
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${prefix.join(':')}::/64`;
}
