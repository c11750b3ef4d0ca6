/**
 * The rich-media mix's part of the chat report (`--media-mix`): rich-media
 * messages per second persisted and delivered apart from text, upload
 * throughput and latency, send → deliver latency per type, errors by code,
 * and where the server's time went (threads, ffmpeg, disk).
 */
import { LatencyHistogram } from '../LatencyHistogram.ts';
import type { MediaSample } from './chatProtocol.ts';
import { MEDIA_TYPES, MESSAGE_TYPES, richShare, type MediaType, type MsgType } from './media.ts';
import type { PayloadManifest } from './mediaPayloads.ts';
import type { ServerIoReport } from './mediaStats.ts';
import type { MediaMixOptions } from './options.ts';

type Percentiles = { p50: number | null; p95: number | null; p99: number | null; max: number | null; count: number };
const round = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);
const percentiles = (h: LatencyHistogram): Percentiles => ({
  p50: round(h.percentile(0.5)),
  p95: round(h.percentile(0.95)),
  p99: round(h.percentile(0.99)),
  max: round(h.count ? h.max : null),
  count: h.count,
});

type ByType = Record<MsgType, number>;
const byType = <T,>(f: (t: MsgType) => T) => Object.fromEntries(MESSAGE_TYPES.map((t) => [t, f(t)])) as Record<MsgType, T>;
const byMedia = <T,>(f: (t: MediaType) => T) => Object.fromEntries(MEDIA_TYPES.map((t) => [t, f(t)])) as Record<MediaType, T>;
const rich = (r: ByType) => MEDIA_TYPES.reduce((a, t) => a + r[t], 0);

/** The cumulative counters of all bot processes at one moment. */
export interface MediaTotals {
  due: ByType;
  shed: Record<MediaType, number>;
  sent: ByType;
  acked: ByType;
  received: ByType;
  expected: ByType;
  failed: ByType;
  upload: { started: number; finished: number; failed: number; inFlight: number; bytes: number };
}

export function sumMedia(samples: readonly MediaSample[]): MediaTotals {
  const add = (f: (s: MediaSample) => ByType) => byType((t) => samples.reduce((a, s) => a + f(s)[t], 0));
  return {
    due: add((s) => s.due),
    shed: byMedia((t) => samples.reduce((a, s) => a + s.shed[t], 0)),
    sent: add((s) => s.sent),
    acked: add((s) => s.acked),
    received: add((s) => s.received),
    expected: add((s) => s.expected),
    failed: add((s) => s.failed),
    upload: {
      started: samples.reduce((a, s) => a + s.upload.started, 0),
      finished: samples.reduce((a, s) => a + s.upload.finished, 0),
      failed: samples.reduce((a, s) => a + s.upload.failed, 0),
      inFlight: samples.reduce((a, s) => a + s.upload.inFlight, 0),
      bytes: samples.reduce((a, s) => a + s.upload.bytes, 0),
    },
  };
}

/** The per-second histograms of a window, merged. */
export class MediaHistograms {
  readonly latency = byType(() => new LatencyHistogram());
  readonly endToEnd = byMedia(() => new LatencyHistogram());
  readonly ack = byType(() => new LatencyHistogram());
  readonly upload = new LatencyHistogram();
  readonly uploadTotal = new LatencyHistogram();
  readonly lastPatch = new LatencyHistogram();
  readonly uploadByType = byMedia(() => new LatencyHistogram());
  readonly lastPatchByType = byMedia(() => new LatencyHistogram());

  add(s: MediaSample): void {
    for (const t of MESSAGE_TYPES) {
      this.latency[t].merge(LatencyHistogram.from(s.latency[t]));
      this.ack[t].merge(LatencyHistogram.from(s.ack[t]));
    }
    for (const t of MEDIA_TYPES) {
      this.endToEnd[t].merge(LatencyHistogram.from(s.endToEnd[t]));
      this.uploadByType[t].merge(LatencyHistogram.from(s.upload.latencyByType[t]));
      this.lastPatchByType[t].merge(LatencyHistogram.from(s.upload.lastPatchByType[t]));
    }
    this.upload.merge(LatencyHistogram.from(s.upload.latency));
    this.uploadTotal.merge(LatencyHistogram.from(s.upload.total));
    this.lastPatch.merge(LatencyHistogram.from(s.upload.lastPatch));
  }

  merge(o: MediaHistograms): void {
    for (const t of MESSAGE_TYPES) {
      this.latency[t].merge(o.latency[t]);
      this.ack[t].merge(o.ack[t]);
    }
    for (const t of MEDIA_TYPES) {
      this.endToEnd[t].merge(o.endToEnd[t]);
      this.uploadByType[t].merge(o.uploadByType[t]);
      this.lastPatchByType[t].merge(o.lastPatchByType[t]);
    }
    this.upload.merge(o.upload);
    this.uploadTotal.merge(o.uploadTotal);
    this.lastPatch.merge(o.lastPatch);
  }
}

export interface MediaReport {
  mix: Record<MsgType, number>;
  sizes: MediaMixOptions['sizes'];
  seed: number;
  uploadsInFlight: number;
  chunkBytes: number;
  payloads: { images: { bytes: number; width: number; height: number }[]; voices: { seconds: number; bytes: number }[] };
  /** Steady window, per second. */
  perSec: {
    /** What the scheduler asked for (the mix of --rate). */
    asked: ByType & { rich: number };
    /** Media sends skipped because `uploadsInFlight` were already under way. */
    shed: Record<MediaType, number> & { rich: number };
    /** Stored (acknowledged) messages. */
    persisted: ByType & { rich: number };
    /** Deliveries to other members' sockets. */
    delivered: ByType & { rich: number };
  };
  /** Whole run, after the drain. */
  totals: { persisted: ByType; received: ByType; expected: ByType; failed: ByType; richDeliveredRatio: number | null; textDeliveredRatio: number | null };
  upload: {
    started: number;
    finished: number;
    failed: number;
    /** Finished uploads' bytes per second in the steady window, MB (10^6) per second. */
    mbPerSec: number;
    finishedPerSec: number;
    /** First PATCH sent → last PATCH answered. */
    latencyMs: Percentiles;
    /** Creation POST → last PATCH answered. */
    totalMs: Percentiles;
    /** The last PATCH alone: its bytes and the server's processing of the finished file, which runs before that reply. */
    lastPatchMs: Percentiles;
    /** The same two by type. */
    latencyByTypeMs: Record<MediaType, Percentiles>;
    lastPatchByTypeMs: Record<MediaType, Percentiles>;
  };
  /** im.send emitted → another member's socket, by type (steady window). */
  latencyMs: Record<MsgType, Percentiles>;
  /** Upload started → another member's socket (steady window). */
  endToEndMs: Record<MediaType, Percentiles>;
  /** im.send emitted → stored, by type. */
  ackMs: Record<MsgType, Percentiles>;
  /** Failures by code (uploads prefixed "upload:"), whole run. */
  errors: Record<string, number>;
  server: ServerIoReport & {
    /** All server CPU (its processes and ffmpeg), text included, per rich-media message stored. */
    cpuMsPerRichMessage: number | null;
    /** The same per MB uploaded. */
    cpuMsPerUploadedMB: number | null;
  };
}

export function buildMediaReport(a: {
  options: MediaMixOptions;
  manifest: PayloadManifest;
  start: MediaTotals;
  end: MediaTotals;
  final: MediaTotals;
  window: number;
  steady: MediaHistograms;
  errors: Record<string, number>;
  /** Server CPU in the window (its processes), % of one core; ffmpeg comes from `io`. */
  serverCpuPct: number;
  io: ServerIoReport;
}): MediaReport {
  const { start, end, final, window } = a;
  const rate = (f: (t: MediaTotals) => ByType) => {
    const out = byType((t) => round((f(end)[t] - f(start)[t]) / window, 1)!);
    return { ...out, rich: round((rich(f(end)) - rich(f(start))) / window, 1)! };
  };
  const ratio = (got: number, want: number) => (want > 0 ? round(got / want, 5) : null);
  const richPersistedPerSec = (rich(end.acked) - rich(start.acked)) / window;
  const mbPerSec = (end.upload.bytes - start.upload.bytes) / 1e6 / window;
  const cpuPct = a.serverCpuPct + (a.io.childrenCpuPct ?? 0);
  return {
    mix: { ...a.options.mix },
    sizes: a.options.sizes,
    seed: a.options.seed,
    uploadsInFlight: a.options.uploadsInFlight,
    chunkBytes: a.options.chunkBytes,
    payloads: {
      images: a.manifest.images.map(({ bytes, width, height }) => ({ bytes, width, height })),
      voices: a.manifest.voices.map(({ seconds, bytes }) => ({ seconds: round(seconds, 1)!, bytes })),
    },
    perSec: {
      asked: rate((t) => t.due),
      shed: { ...byMedia((t) => round((end.shed[t] - start.shed[t]) / window, 1)!), rich: round(MEDIA_TYPES.reduce((x, t) => x + end.shed[t] - start.shed[t], 0) / window, 1)! },
      persisted: rate((t) => t.acked),
      delivered: rate((t) => t.received),
    },
    totals: {
      persisted: final.acked,
      received: final.received,
      expected: final.expected,
      failed: final.failed,
      richDeliveredRatio: ratio(rich(final.received), rich(final.expected)),
      textDeliveredRatio: ratio(final.received.text, final.expected.text),
    },
    upload: {
      started: final.upload.started,
      finished: final.upload.finished,
      failed: final.upload.failed,
      mbPerSec: round(mbPerSec, 2)!,
      finishedPerSec: round((end.upload.finished - start.upload.finished) / window, 1)!,
      latencyMs: percentiles(a.steady.upload),
      totalMs: percentiles(a.steady.uploadTotal),
      lastPatchMs: percentiles(a.steady.lastPatch),
      latencyByTypeMs: byMedia((t) => percentiles(a.steady.uploadByType[t])),
      lastPatchByTypeMs: byMedia((t) => percentiles(a.steady.lastPatchByType[t])),
    },
    latencyMs: byType((t) => percentiles(a.steady.latency[t])),
    endToEndMs: byMedia((t) => percentiles(a.steady.endToEnd[t])),
    ackMs: byType((t) => percentiles(a.steady.ack[t])),
    errors: a.errors,
    server: {
      ...a.io,
      cpuMsPerRichMessage: richPersistedPerSec > 0 ? round((cpuPct * 10) / richPersistedPerSec, 1) : null,
      cpuMsPerUploadedMB: mbPerSec > 0 ? round((cpuPct * 10) / mbPerSec, 1) : null,
    },
  };
}

const fmt = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '–' : `${v}${unit}`);
const lat = (p: Percentiles) => (p.count === 0 ? '– (none)' : `${fmt(p.p50)} / ${fmt(p.p95)} / ${fmt(p.p99)} / ${fmt(p.max)} ms (${p.count})`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;

/** The customer's target for rich media, for the report's comparison. */
export const CUSTOMER_RICH_PER_SEC = 1600;

export function mediaMarkdown(r: MediaReport): string {
  const s = r.sizes;
  const share = (t: MsgType) => `${Math.round(r.mix[t] * 100)} %`;
  const row = (label: string, f: (t: MsgType) => string) => `| ${label} | ${MESSAGE_TYPES.map(f).join(' | ')} |`;
  const errors = Object.entries(r.errors).sort((x, y) => y[1] - x[1]);
  const threads = r.server.threads.slice(0, 8).map((t) => `${t.name} ${t.cpuPct} %`).join(', ');
  return `## Rich media (issue 17)

Mix: text ${share('text')}, image ${share('image')}, voice ${share('voice')}, file ${share('file')} (rich media ${Math.round(richShare(r.mix) * 100)} % of the messages); seed ${r.seed}. Sizes drawn uniformly: images ${mb(s.imageBytes.min)}–${mb(s.imageBytes.max)} (${r.payloads.images.length} real JPEGs, ${r.payloads.images.map((i) => `${mb(i.bytes)} ${i.width}×${i.height}`).join(', ')}), voice ${s.voiceSeconds.min}–${s.voiceSeconds.max} s (${r.payloads.voices.length} WebM/Opus clips, ${mb(Math.min(...r.payloads.voices.map((v) => v.bytes)))}–${mb(Math.max(...r.payloads.voices.map((v) => v.bytes)))}), files ${mb(s.fileBytes.min)}–${mb(s.fileBytes.max)} (random bytes). Uploads through tus (tus-js-client, ${r.chunkBytes / 2 ** 20} MiB PATCHes), at most ${r.uploadsInFlight} media sends in flight.

| per second (steady window) | ${MESSAGE_TYPES.join(' | ')} | **rich media** |
| --- | --- | --- | --- | --- | --- |
| asked | ${MESSAGE_TYPES.map((t) => r.perSec.asked[t]).join(' | ')} | ${r.perSec.asked.rich} |
| shed (in-flight cap) | – | ${MEDIA_TYPES.map((t) => r.perSec.shed[t]).join(' | ')} | ${r.perSec.shed.rich} |
| **persisted** | ${MESSAGE_TYPES.map((t) => r.perSec.persisted[t]).join(' | ')} | **${r.perSec.persisted.rich}** (target ${CUSTOMER_RICH_PER_SEC}) |
| **delivered** (to other members' sockets) | ${MESSAGE_TYPES.map((t) => r.perSec.delivered[t]).join(' | ')} | **${r.perSec.delivered.rich}** |

| per type | ${MESSAGE_TYPES.join(' | ')} |
| --- | --- | --- | --- | --- |
${row('**send → deliver** p50 / p95 / p99 / max (count)', (t) => lat(r.latencyMs[t]))}
${row('upload start → deliver', (t) => (t === 'text' ? '–' : lat(r.endToEndMs[t as MediaType])))}
${row('send → stored (ack)', (t) => lat(r.ackMs[t]))}
${row('upload, first byte → finished', (t) => (t === 'text' ? '–' : lat(r.upload.latencyByTypeMs[t as MediaType])))}
${row('upload, the last PATCH alone (+ processing)', (t) => (t === 'text' ? '–' : lat(r.upload.lastPatchByTypeMs[t as MediaType])))}
${row('whole run: stored / failed', (t) => `${r.totals.persisted[t]} / ${r.totals.failed[t]}`)}
${row('whole run: delivered / expected', (t) => `${r.totals.received[t]} / ${r.totals.expected[t]}`)}

| uploads | value |
| --- | --- |
| started / finished / failed (whole run) | ${r.upload.started} / ${r.upload.finished} / ${r.upload.failed} |
| **upload throughput** (finished, steady window) | **${r.upload.mbPerSec} MB/s** (${r.upload.finishedPerSec} uploads/s) |
| **upload latency**, first byte → finished, p50 / p95 / p99 / max | ${lat(r.upload.latencyMs)} |
| creation POST → finished | ${lat(r.upload.totalMs)} |
| the last PATCH alone (its bytes + processing, which runs before its reply) | ${lat(r.upload.lastPatchMs)} |
| errors by code | ${errors.length ? errors.map(([c, n]) => `${c} ${n}`).join(', ') : 'none'} |

| server, steady window | value |
| --- | --- |
| CPU by thread (main process, % of one core) | ${threads || '–'} |
| ffmpeg / ffprobe (children) | ${fmt(r.server.childrenCpuPct, ' %')} |
| server process disk read / write | ${fmt(r.server.readMBPerSec, ' MB/s')} / ${fmt(r.server.writeMBPerSec, ' MB/s')} |
| disk device: writes (all processes) / busy | ${fmt(r.server.diskWriteMBPerSec, ' MB/s')} / ${fmt(r.server.diskBusyPct, ' %')} |
| machine I/O wait (% of one core) | ${fmt(r.server.ioWaitPct, ' %')} |
| server CPU per rich-media message (text included) / per MB uploaded | ${fmt(r.server.cpuMsPerRichMessage, ' ms')} / ${fmt(r.server.cpuMsPerUploadedMB, ' ms')} |
`;
}
