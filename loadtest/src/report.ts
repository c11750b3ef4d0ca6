import type { LoadTestReport, TimelinePoint } from './LoadTest.ts';

interface Series {
  label: string;
  color: string;
  values: (number | null)[];
  /** Which y-axis: left (counts) or right (ms / %). */
  axis: 'left' | 'right';
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** A self-contained SVG line chart (no libraries, no fonts from outside). */
export function timelineSvg(timeline: TimelinePoint[], title: string): string {
  const width = 900;
  const height = 360;
  const pad = { left: 60, right: 70, top: 40, bottom: 60 };
  const series: Series[] = [
    { label: 'calls connected', color: '#2563eb', values: timeline.map((p) => p.callsConnected), axis: 'left' },
    { label: 'latency p99 (ms)', color: '#dc2626', values: timeline.map((p) => p.latencyP99Ms), axis: 'right' },
    { label: 'latency p50 (ms)', color: '#f59e0b', values: timeline.map((p) => p.latencyP50Ms), axis: 'right' },
    { label: 'server CPU (%)', color: '#16a34a', values: timeline.map((p) => p.serverCpuPct), axis: 'right' },
  ];
  const tMax = Math.max(1, ...timeline.map((p) => p.t));
  const leftMax = Math.max(1, ...series.filter((s) => s.axis === 'left').flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const rightMax = Math.max(1, ...series.filter((s) => s.axis === 'right').flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const x = (t: number) => pad.left + (t / tMax) * (width - pad.left - pad.right);
  const y = (v: number, max: number) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#888"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#888"/>`,
    `<line x1="${width - pad.right}" y1="${pad.top}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#888"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const fy = pad.top + (i / 4) * (height - pad.top - pad.bottom);
    parts.push(`<line x1="${pad.left}" y1="${fy}" x2="${width - pad.right}" y2="${fy}" stroke="#eee"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${fy + 4}" text-anchor="end">${Math.round(leftMax * (1 - i / 4))}</text>`);
    parts.push(`<text x="${width - pad.right + 6}" y="${fy + 4}">${Math.round(rightMax * (1 - i / 4))}</text>`);
  }
  const steady = timeline.find((p) => p.phase === 'steady');
  if (steady) {
    parts.push(`<line x1="${x(steady.t)}" y1="${pad.top}" x2="${x(steady.t)}" y2="${height - pad.bottom}" stroke="#999" stroke-dasharray="4 4"/>`);
    parts.push(`<text x="${x(steady.t) + 4}" y="${pad.top + 12}" fill="#666">steady load</text>`);
  }
  parts.push(`<text x="${width / 2}" y="${height - pad.bottom + 30}" text-anchor="middle">time (s)</text>`);
  parts.push(`<text x="${pad.left - 6}" y="${height - pad.bottom + 16}" text-anchor="end">0</text><text x="${width - pad.right}" y="${height - pad.bottom + 16}" text-anchor="end">${Math.round(tMax)}</text>`);
  for (const s of series) {
    const max = s.axis === 'left' ? leftMax : rightMax;
    const points = timeline
      .map((p, i) => (s.values[i] === null ? null : `${x(p.t).toFixed(1)},${y(s.values[i]!, max).toFixed(1)}`))
      .filter(Boolean)
      .join(' ');
    if (points) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points}"/>`);
  }
  series.forEach((s, i) => {
    const lx = pad.left + i * 200;
    parts.push(`<rect x="${lx}" y="${height - 22}" width="12" height="12" fill="${s.color}"/><text x="${lx + 16}" y="${height - 12}">${escapeXml(s.label)}${s.axis === 'right' ? '' : ' (left axis)'}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const fmt = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '–' : `${v}${unit}`);

/** `title`: a peer SFU's run (src/peers/) says whose figures these are. */
export function markdownReport(report: LoadTestReport, chartFile: string, title = `Muster load test: ${report.scenario}`): string {
  const o = report.options;
  const steady = report.timeline.filter((p) => p.phase === 'steady');
  return `# ${title}

Run ${report.startedAt} on ${report.machine.cpuModel}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, ${report.machine.platform}, Node ${report.machine.node}. Whole machine busy in the steady window: ${report.machine.busyPct ?? '?'} % of one core, of which other processes (neither server nor bots) ${report.machine.otherProcessesPct ?? '?'} %.

Options: ${o.scenario === 'calls' ? `${o.videoCalls} video + ${o.voiceCalls} voice calls` : `${o.rooms} rooms × ${o.roomSize}`}, ${o.duration} s steady after ramp at ${o.ramp} bots/s, ${o.url ? `server ${o.url}` : o.peer ? `${o.peer.name} started for the run` : `own server${o.workers ? ` with ${o.workers} media workers` : ''}`}, ${report.loadGenerator.processes} bot processes${o.mediaRate && o.mediaRate !== 1 ? `, **bots sending ${o.mediaRate} × the real packet rates**` : ''}.

![load, latency and CPU over time](${chartFile})

| figure | value |
| --- | --- |
| video calls connected | ${report.calls.video.connected} / ${report.calls.video.requested} |
| voice calls connected | ${report.calls.voice.connected} / ${report.calls.voice.requested} |
| all calls / rooms connected | ${report.calls.total.connected} / ${report.calls.total.requested} |
| bots joined / failed / media rebuilds | ${report.bots.joined} / ${report.bots.failed} / ${report.bots.mediaRestarts} |
| join time p50 / p99 | ${fmt(report.joinMs.p50, ' ms')} / ${fmt(report.joinMs.p99, ' ms')} |
| forwarding latency p50 / p95 / p99 / max | ${fmt(report.latencyMs.p50, ' ms')} / ${fmt(report.latencyMs.p95, ' ms')} / ${fmt(report.latencyMs.p99, ' ms')} / ${fmt(report.latencyMs.max, ' ms')} |
| loss | ${report.lossPct} % |
| jitter (mean of streams) | ${report.jitterMs} ms |
| SFU packets out per second | ${fmt(report.sfuPacketsOutPerSec)} |
| **SFU CPU per forwarded packet** | **${fmt(report.sfuCpuUsPerPacket, ' µs')}** |
| server CPU per packet the subscribers received | ${fmt(report.serverCpuUsPerReceivedPacket, ' µs')} |
| server CPU (all processes) | ${fmt(report.server.cpuPct, ' %')} |
| server RSS | ${fmt(report.server.rssMB, ' MB')} |
| load generator CPU / worst event-loop lag | ${report.loadGenerator.cpuPct} % / ${report.loadGenerator.maxEventLoopLagMs} ms |

${report.server.processes.length ? `Server processes (steady window):\n\n| pid | role | CPU % | RSS MB |\n| --- | --- | --- | --- |\n${report.server.processes.map((p) => `| ${p.pid} | ${p.role} | ${fmt(p.cpuPct)} | ${fmt(p.rssMB)} |`).join('\n')}\n` : ''}
${report.bots.failures.length ? `Failures (first ${report.bots.failures.length}):\n\n${report.bots.failures.map((f) => `- ${f}`).join('\n')}\n` : ''}
Steady-state seconds: ${steady.length}. Per-second figures are in the JSON report's \`timeline\`.
`;
}
