import os from 'node:os';

/**
 * This machine's addresses another host can reach it at, IPv4 first: not
 * loopback, and not IPv6 link-local (valid on one link only, without a
 * zone). The default address the relay URL and the media hosts announce.
 */
export function reachableAddresses(interfaces = os.networkInterfaces()): os.NetworkInterfaceInfo[] {
  const addresses = Object.values(interfaces)
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')));
  return [...addresses.filter((a) => a.family === 'IPv4'), ...addresses.filter((a) => a.family !== 'IPv4')];
}
