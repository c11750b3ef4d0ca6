import fs from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100; // Linux USER_HZ

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
    return { pid, cpuMicros: (ticks * 1e6) / TICKS_PER_SECOND, rssBytes: rssPages * 4096 };
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
