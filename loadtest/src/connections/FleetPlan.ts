/**
 * Who connects from where: the connections spread over people, bot
 * processes and source addresses. Pure, so it is unit-tested.
 *
 * - Connection c belongs to person c mod U: every person holds N/U of them
 *   (a phone, a laptop, a few tabs), at least one.
 * - Person u's connections all live in bot process u mod P, so a person's
 *   access token is refreshed by one process only (a refresh token works
 *   once: two processes refreshing it would sign the device out).
 * - A process holds at most MAX_PER_PROCESS connections (one process may
 *   have 20,000 open files here) and opens them from its own source
 *   addresses, at most MAX_PER_ADDRESS from each: towards one server
 *   address and port, one source address has only the ephemeral port range
 *   (32768–60999 here, about 28,000 ports).
 * - Where the transport lets it (longlink), connection j also names its
 *   source port (`sourceOf`): bind() to a port of the kernel's choosing
 *   scans the range for one this address does not use yet (a quarter of the
 *   range first, by parity), so once that quarter is taken every bind walks
 *   thousands of ports; a named port is one lookup. A try after a refusal
 *   names a port of its own too (`attempt`): left to the kernel, the retries
 *   of a 600k run (600,000 of them after GOING_AWAY) each walked the range
 *   in a synchronous bind(), froze the bot processes for two minutes (no
 *   pings, so 319,330 held connections timed out) and ran out of ports
 *   (EADDRNOTAVAIL).
 */

/** Connections one bot process holds at most. */
export const MAX_PER_PROCESS = 18_000;
/**
 * Connections from one source address at most: for transports that leave
 * the port to the kernel (socket.io, XMPP), within the quarter of the
 * ephemeral range (about 7,000 ports) bind() searches first.
 */
export const MAX_PER_ADDRESS = 5_000;
/** The first source port named (the ephemeral range's start here: no service listens there). */
export const FIRST_SOURCE_PORT = 32_768;

/** A connection's tries at most (the first included); each has a source port of its own. */
export const MAX_TRIES = 5;

/**
 * Try `attempt` (0 first) of connection j of a process: its source address and port, unique in the run (the
 * process's addresses are its own; each try takes its own block of MAX_PER_ADDRESS ports, so an earlier try's
 * port still in TIME_WAIT is never asked for again). Ports stay under 32,768 + 5 × 5,000.
 */
export function sourceOf(slot: number, addresses: readonly string[], attempt = 0): { address: string; port: number } {
  return { address: addresses[slot % addresses.length]!, port: FIRST_SOURCE_PORT + attempt * MAX_PER_ADDRESS + Math.floor(slot / addresses.length) };
}

export interface ProcessPlan {
  index: number;
  /** The people whose connections this process holds (global person indexes). */
  users: number[];
  /** Each connection (slot) of the process: its person, as an index into `users`. In the order they open. */
  slots: Uint32Array;
  /** Source addresses; slot j connects from `sourceOf(j, addresses)`. */
  addresses: string[];
}

/** How many connections person u holds. */
export function connectionsOfUser(u: number, connections: number, users: number): number {
  return Math.floor(connections / users) + (u < connections % users ? 1 : 0);
}

/** The connections each process holds (people dealt round-robin). */
export function processLoads(connections: number, users: number, processes: number): number[] {
  const loads = new Array<number>(processes).fill(0);
  const base = Math.floor(connections / users);
  const extra = connections % users;
  for (let p = 0; p < processes; p++) {
    // People p, p+P, p+2P…: how many, and how many of them are among the first `extra` (one connection more).
    const people = p < users ? Math.floor((users - 1 - p) / processes) + 1 : 0;
    const withExtra = p < extra ? Math.floor((extra - 1 - p) / processes) + 1 : 0;
    loads[p] = people * base + withExtra;
  }
  return loads;
}

/**
 * The k-th source address of a run: 127.<block>.x.y. Each run takes its own
 * block (the second octet), so the previous run's connections still in
 * TIME_WAIT on their source ports never get in the way of this one's.
 */
export function sourceAddress(block: number, k: number): string {
  return `127.${block}.${Math.floor(k / 250)}.${2 + (k % 250)}`;
}

/** The fleet: people, slots and source addresses of each bot process. Throws if a process would hold more than MAX_PER_PROCESS. */
export function planFleet(o: { connections: number; users: number; processes: number; addressBlock: number }): ProcessPlan[] {
  const P = Math.min(o.processes, o.users);
  const loads = processLoads(o.connections, o.users, P);
  const largest = Math.max(...loads);
  if (largest > MAX_PER_PROCESS) throw new Error(`a bot process would hold ${largest} connections, more than ${MAX_PER_PROCESS}: use more bot processes`);
  let nextAddress = 0;
  const plans: ProcessPlan[] = loads.map((load, index) => {
    const count = Math.max(1, Math.ceil(load / MAX_PER_ADDRESS));
    const addresses = Array.from({ length: count }, () => sourceAddress(o.addressBlock, nextAddress++));
    return { index, users: [], slots: new Uint32Array(load), addresses };
  });
  // Person u → process u mod P, at local index floor(u / P).
  for (let u = 0; u < o.users; u++) plans[u % P]!.users.push(u);
  const filled = new Array<number>(P).fill(0);
  for (let c = 0; c < o.connections; c++) {
    const u = c % o.users;
    const p = u % P;
    plans[p]!.slots[filled[p]!++] = Math.floor(u / P);
  }
  return plans;
}
