/**
 * Where a server's time goes while it takes uploads, from /proc (Linux):
 * CPU per thread name (the JavaScript main thread, libuv's pool, libvips'
 * threads under sharp, V8's helpers), CPU of the children it ran and waited
 * for (ffmpeg and ffprobe), the bytes it read and wrote to disk, and the
 * disk device's busy time and the machine's I/O wait. Null or empty off
 * Linux or when the process is gone.
 */
import fs from 'node:fs';

const TICK_MICROS = 1e6 / 100; // Linux USER_HZ

/** Fields after the parenthesised command name of a /proc stat line, and the name. */
function statFields(text: string): { name: string; fields: string[] } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  return { name: text.slice(open + 1, close), fields: text.slice(close + 2).trim().split(' ') };
}

/** A thread's name without its number ("vips-3" → "vips", "V8 DefaultWorke" stays). */
export function threadGroup(name: string): string {
  return name.replace(/[-_ #]?\d+$/, '') || name;
}

/** CPU time (µs) of each thread group of a process: utime + stime of its threads, summed by name. */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const { name, fields } = statFields(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      const micros = (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
      // The first thread (tid = pid) is the JavaScript main thread.
      const group = tid === String(pid) ? 'main (JavaScript)' : threadGroup(name);
      out.set(group, (out.get(group) ?? 0) + micros);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** CPU time (µs) of the children the process has waited for (cutime + cstime): ffmpeg, ffprobe. */
export function childrenCpu(pid: number): number | null {
  try {
    const { fields } = statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return (Number(fields[13]) + Number(fields[14])) * TICK_MICROS;
  } catch {
    return null;
  }
}

/** Bytes the process caused to be read from and written to storage (/proc/pid/io). */
export function processIo(pid: number): { readBytes: number; writeBytes: number } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    const get = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const out = { readBytes: get('read_bytes'), writeBytes: get('write_bytes') };
    return Number.isFinite(out.readBytes) && Number.isFinite(out.writeBytes) ? out : null;
  } catch {
    return null;
  }
}

/** Whole disks (vda, sda, nvme0n1): sectors written and read, and ms spent doing I/O (the busiest disk's). */
export function diskStats(): { readBytes: number; writeBytes: number; busyMs: number } | null {
  try {
    let readBytes = 0;
    let writeBytes = 0;
    let busyMs = 0;
    for (const line of fs.readFileSync('/proc/diskstats', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (!/^(vd[a-z]+|sd[a-z]+|xvd[a-z]+|nvme\d+n\d+)$/.test(f[2] ?? '')) continue;
      readBytes += Number(f[5]) * 512;
      writeBytes += Number(f[9]) * 512;
      busyMs = Math.max(busyMs, Number(f[12]));
    }
    return { readBytes, writeBytes, busyMs };
  } catch {
    return null;
  }
}

/** The machine's I/O wait ticks and all ticks (/proc/stat). */
export function ioWait(): { iowait: number; total: number } | null {
  try {
    const ticks = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { iowait: ticks[4] ?? 0, total: ticks.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

export interface ServerIoSample {
  at: number;
  threads: Map<string, number>;
  children: number | null;
  io: ReturnType<typeof processIo>;
  disk: ReturnType<typeof diskStats>;
  wait: ReturnType<typeof ioWait>;
}

export function sampleServerIo(pid: number): ServerIoSample {
  return { at: Date.now(), threads: threadCpu(pid), children: childrenCpu(pid), io: processIo(pid), disk: diskStats(), wait: ioWait() };
}

export interface ServerIoReport {
  /** CPU by thread group of the server's main process, % of one core, busiest first. */
  threads: { name: string; cpuPct: number }[];
  /** ffmpeg / ffprobe (children waited for), % of one core. */
  childrenCpuPct: number | null;
  /** The server process's own storage traffic. */
  readMBPerSec: number | null;
  writeMBPerSec: number | null;
  /** The disk device: its traffic (every process) and the share of time it was busy. */
  diskWriteMBPerSec: number | null;
  diskBusyPct: number | null;
  /** The machine's I/O wait, % of one core. */
  ioWaitPct: number | null;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** The window between two samples, as rates. */
export function serverIoBetween(a: ServerIoSample, b: ServerIoSample, cores: number): ServerIoReport {
  const seconds = Math.max(0.001, (b.at - a.at) / 1000);
  const threads = [...b.threads]
    .map(([name, micros]) => ({ name, cpuPct: r1(((micros - (a.threads.get(name) ?? 0)) / 1e6 / seconds) * 100) }))
    .filter((t) => t.cpuPct > 0)
    .sort((x, y) => y.cpuPct - x.cpuPct);
  return {
    threads,
    childrenCpuPct: a.children === null || b.children === null ? null : r1(((b.children - a.children) / 1e6 / seconds) * 100),
    readMBPerSec: a.io && b.io ? r1((b.io.readBytes - a.io.readBytes) / 1e6 / seconds) : null,
    writeMBPerSec: a.io && b.io ? r1((b.io.writeBytes - a.io.writeBytes) / 1e6 / seconds) : null,
    diskWriteMBPerSec: a.disk && b.disk ? r1((b.disk.writeBytes - a.disk.writeBytes) / 1e6 / seconds) : null,
    diskBusyPct: a.disk && b.disk ? r1(((b.disk.busyMs - a.disk.busyMs) / 1000 / seconds) * 100) : null,
    ioWaitPct: a.wait && b.wait && b.wait.total > a.wait.total ? r1(((b.wait.iowait - a.wait.iowait) / (b.wait.total - a.wait.total)) * cores * 100) : null,
  };
}
