import os from 'node:os';

/**
 * This machine's own IPv4 addresses, loopback excluded. Janus gathers no
 * loopback candidate (it skips loopback interfaces), so it listens on these;
 * traffic between two of the host's own addresses still never leaves it (the
 * kernel routes it over loopback), as with Muster on 127.0.0.1.
 */
export function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}
