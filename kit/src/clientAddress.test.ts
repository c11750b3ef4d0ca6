import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressKey, clientAddress, trustProxyFrom, TRUST_NO_PROXY } from './clientAddress.ts';

function request(peer: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} } as unknown as IncomingMessage;
}

describe('client addresses', () => {
  it('believes X-Forwarded-For only from a proxy TRUST_PROXY names, and takes the nearest untrusted hop', () => {
    expect(clientAddress(request('127.0.0.1', '203.0.113.7'), TRUST_NO_PROXY)).toBe('127.0.0.1');
    expect(clientAddress(request('::ffff:10.0.0.5', '203.0.113.7'), TRUST_NO_PROXY)).toBe('10.0.0.5');
    const trust = trustProxyFrom('10.0.0.5, loopback');
    expect(clientAddress(request('10.0.0.5', '203.0.113.7'), trust)).toBe('203.0.113.7');
    // A client that sends its own X-Forwarded-For through the proxy does not choose its address.
    expect(clientAddress(request('10.0.0.5', '198.51.100.1, 203.0.113.7'), trust)).toBe('203.0.113.7');
    expect(clientAddress(request('192.0.2.50', '203.0.113.7'), trust)).toBe('192.0.2.50');
    expect(() => trustProxyFrom('not-an-address')).toThrow(/TRUST_PROXY/);
  });

  it('counts IPv4 as it is and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('unknown')).toBe('unknown');
  });
});
