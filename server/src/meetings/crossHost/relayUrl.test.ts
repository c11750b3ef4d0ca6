/**
 * Where the other app hosts reach this one (MUSTER_RELAY_URL, or the
 * machine's address and the public port): what each app writes into its
 * meeting claims, so it must never be loopback, and must name the public
 * port, not the app's own behind the gateways.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { relayUrlFromEnv, serverConfigFromEnv } from '../../config.ts';

const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({ address, family, internal }) as NetworkInterfaceInfo;
const machine = { lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)], eth0: [nic('fe80::1', 'IPv6'), nic('2001:db8::7', 'IPv6'), nic('10.0.0.2', 'IPv4')] };

describe('the relay URL', () => {
  it('is the first outside IPv4 address at the public port the supervisor passes, https when the port serves TLS', () => {
    expect(relayUrlFromEnv({ PORT: '0', MUSTER_PUBLIC_PORT: '8080' }, machine)).toBe('http://10.0.0.2:8080');
    expect(relayUrlFromEnv({ PORT: '443', TLS_CERT: '/etc/muster/cert.pem' }, machine)).toBe('https://10.0.0.2:443');
    expect(relayUrlFromEnv({}, machine)).toBe('http://10.0.0.2:8080');
    // IPv6 only: in brackets, never link-local.
    expect(relayUrlFromEnv({ PORT: '8080' }, { eth0: [nic('fe80::1', 'IPv6'), nic('2001:db8::7', 'IPv6')] })).toBe('http://[2001:db8::7]:8080');
  });

  it('is what MUSTER_RELAY_URL says (its origin), and unknown rather than wrong', () => {
    expect(relayUrlFromEnv({ MUSTER_RELAY_URL: 'https://app-a.internal:8443/ignored' }, machine)).toBe('https://app-a.internal:8443');
    expect(() => relayUrlFromEnv({ MUSTER_RELAY_URL: 'ftp://x' }, machine)).toThrow(/MUSTER_RELAY_URL/);
    // A port chosen at start, or no address but loopback: nobody could be told where to reach this host.
    expect(relayUrlFromEnv({ PORT: '0', MUSTER_PUBLIC_PORT: '0' }, machine)).toBeUndefined();
    expect(relayUrlFromEnv({ PORT: '8080' }, { lo: machine.lo })).toBeUndefined();
  });

  it('is only looked for with REDIS_URL: one host relays nothing', () => {
    expect(serverConfigFromEnv({ MUSTER_RELAY_URL: 'http://10.0.0.2:8080' }).meetingRelayUrl).toBeUndefined();
    expect(serverConfigFromEnv({ REDIS_URL: 'redis://10.0.0.9:6379', MUSTER_RELAY_URL: 'http://10.0.0.2:8080' }).meetingRelayUrl).toBe('http://10.0.0.2:8080');
  });
});
