import fs from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100; // Linux USER_HZ
const PAGE_BYTES = 4096;

export interface ProcessSample {
  pid: number;
  cpuMicros: number;
  rssBytes: number;
}

/** CPU time and RSS of a local process from /proc; null when it is gone or not local. */
export function sampleProcess(pid: number): ProcessSample | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { pid, cpuMicros: (ticks * 1e6) / TICKS_PER_SECOND, rssBytes: rssPages * PAGE_BYTES };
  } catch {
    return null;
  }
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** Machine-wide CPU time (busy and total, in ticks of all cores) from /proc/stat; null off Linux. */
export function sampleMachineCpu(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Busy share of the whole machine between two samples, in % of one core (2 busy cores = 200). */
export function machineBusyPct(from: ReturnType<typeof sampleMachineCpu>, to: ReturnType<typeof sampleMachineCpu>): number | null {
  if (!from || !to || to.total <= from.total) return null;
  return ((to.busy - from.busy) / (to.total - from.total)) * os.cpus().length * 100;
}

/**
 * The process and all its descendants (children, their children…), from
 * /proc: a server that forks gateways and workers is measured whole. The
 * root first; empty when it is gone.
 */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(entry);
    if (ppid === null) continue;
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  if (!fs.existsSync(`/proc/${root}`)) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** The parent's pid from /proc/<pid>/stat (the field after the state, past the parenthesised command name); null when it is gone. */
function parentOf(pid: number | string): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 2)[1]);
  } catch {
    return null;
  }
}

/** A process's command line (argv), from /proc; null when it is gone. */
export function commandLine(pid: number): string[] | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

/** One variable of a process's environment as it started, from /proc; null when unset or unreadable. */
export function environmentVariable(pid: number, name: string): string | null {
  try {
    const entry = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith(`${name}=`));
    return entry === undefined ? null : entry.slice(name.length + 1);
  } catch {
    return null;
  }
}

export interface TcpSocketStats {
  /** TCP sockets in use (on loopback both ends of a connection are here). */
  inUse: number;
  /** Memory the kernel holds for TCP buffers, bytes (sockstat's `mem`, in pages). */
  memBytes: number;
  timeWait: number;
}

/** Machine-wide TCP socket counts and buffer memory from /proc/net/sockstat; null off Linux. */
export function tcpSocketStats(): TcpSocketStats | null {
  try {
    const line = /^TCP: (.*)$/m.exec(fs.readFileSync('/proc/net/sockstat', 'utf8'))?.[1];
    if (!line) return null;
    const field = (name: string) => Number(new RegExp(`\\b${name} (\\d+)`).exec(line)?.[1] ?? 0);
    return { inUse: field('inuse'), memBytes: field('mem') * PAGE_BYTES, timeWait: field('tw') };
  } catch {
    return null;
  }
}

/**
 * From /proc/meminfo: what the machine can still give without swapping
 * (MemAvailable), and what the kernel's slab caches hold (socket structures
 * among them), bytes; null off Linux.
 */
export function memoryInfo(): { availableBytes: number; slabBytes: number } | null {
  try {
    const text = fs.readFileSync('/proc/meminfo', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
    const info = { availableBytes: kb('MemAvailable'), slabBytes: kb('Slab') };
    return Number.isNaN(info.availableBytes + info.slabBytes) ? null : info;
  } catch {
    return null;
  }
}

/**
 * The process that listens on this local TCP port, from /proc/net/tcp and
 * the processes' open files: a server tested with --url is still measured
 * from /proc. When several hold the listening socket (forked workers), the
 * one whose parent is not among them. Null when none is found (another
 * user's process, another machine).
 */
export function pidListeningOn(port: number): number | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is column 10.
      if (cols.length > 9 && cols[3] === '0A' && Number.parseInt(cols[1]!.split(':')[1]!, 16) === port) inodes.add(cols[9]!);
    }
  }
  if (inodes.size === 0) return null;
  const holders: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) {
          holders.push(Number(entry));
          break;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return holders.find((pid) => !holders.includes(parentOf(pid) ?? -1)) ?? null;
}
