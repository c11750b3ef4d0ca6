/**
 * `npm run loadtest -- --scenario calls --target janus|both …` (issue 18):
 * flags, progress, report files; cli.ts hands over here. `janus` runs the
 * calls scenario against a Janus started for the run; `both` runs Muster,
 * then Janus, at the same load and writes them side by side.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runLoadTest, type LoadTestReport } from '../../LoadTest.ts';
import { markdownReport, timelineSvg } from '../../report.ts';
import { compareReports, comparisonMarkdown } from './Comparison.ts';
import { runJanusLoadTest, type JanusReport } from './JanusLoadTest.ts';
import { writeFileIn } from '../../reportFiles.ts';

export const JANUS_USAGE = `Usage: npm run loadtest -- --scenario calls --target janus|both [options]

  --target janus      the calls scenario against Janus (VideoRoom), started and stopped here
  --target both       Muster, then Janus, at the same load; a side-by-side report
  --video-calls N     1:1 video calls
  --voice-calls M     1:1 voice calls
  --duration S        seconds of steady load after the ramp          default 30
  --ramp B            bots started per second                        default 20
  --workers W         Muster's media workers (--target both)         default: cores
  --janus-event-loops N  Janus's event_loops: N loop threads shared by all
                      handles (its tuning for many connections)       default 0: a thread per handle
  --bot-processes P   load-generator processes                       default: 1 per 800 bots
  --connect-timeout S seconds a call may take to connect              default 30
  --media-rate R      bots send R × the real packet rates (0 < R ≤ 1) default 1
  --json FILE         write the JSON report; Janus's configuration goes to FILE's
                      name without .json + ".janus-config/"
  --md FILE           write the Markdown report (charts beside it)
`;

const FLAGS = ['scenario', 'target', 'video-calls', 'voice-calls', 'duration', 'ramp', 'workers', 'janus-event-loops', 'bot-processes', 'connect-timeout', 'media-rate', 'json', 'md'] as const;

const Options = z
  .object({
    scenario: z.literal('calls', { error: 'a peer SFU (--target) runs the calls scenario only' }),
    target: z.enum(['janus', 'both']),
    'video-calls': z.coerce.number().int().min(0).max(100_000).default(0),
    'voice-calls': z.coerce.number().int().min(0).max(100_000).default(0),
    duration: z.coerce.number().min(1).max(86_400).default(30),
    ramp: z.coerce.number().min(0.1).max(10_000).default(20),
    workers: z.coerce.number().int().min(1).max(256).optional(),
    'janus-event-loops': z.coerce.number().int().min(0).max(256).default(0),
    'bot-processes': z.coerce.number().int().min(1).max(64).optional(),
    'connect-timeout': z.coerce.number().min(1).max(600).default(30),
    'media-rate': z.coerce.number().gt(0).max(1).default(1),
    json: z.string().optional(),
    md: z.string().optional(),
  })
  .refine((o) => o['video-calls'] + o['voice-calls'] > 0, 'the calls scenario needs --video-calls and/or --voice-calls')
  .refine((o) => o.target === 'both' || o.workers === undefined, '--workers is Muster’s: it goes with --target both');

const write = writeFileIn;

const svgBeside = (md: string, suffix: string) => `${md.replace(/\.md$/, '')}${suffix}.svg`;

/** Janus's configuration files beside the JSON report, so the comparison can be checked. */
function writeJanusConfig(json: string, report: JanusReport): string {
  const dir = `${json.replace(/\.json$/, '')}.janus-config`;
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(report.janus.config)) fs.writeFileSync(path.join(dir, name), content);
  fs.writeFileSync(path.join(dir, 'videoroom-room.json'), `${JSON.stringify(report.janus.room, null, 2)}\n`);
  return dir;
}

/** What the Janus run ran with, for its Markdown report. */
function janusSection(report: JanusReport): string {
  const j = report.janus;
  return `## Janus ${j.version}: what it ran with

\`${j.binary}\` (Debian's package), plugin ${j.plugin} only, transport ${j.transport} only (Admin API off), ICE on ${j.mediaAddress}, RTP ports ${j.rtpPortRange}, log level ${j.debugLevel}, ${j.eventLoops ? `${j.eventLoops} shared event loops` : 'a loop thread per handle (Janus\'s default)'}, no event handlers. Its CPU is its process's (all threads) from /proc; "forwarded packets" are those the subscribers received. Each call's room, as its first bot creates it:

\`\`\`json
${JSON.stringify(j.room, null, 2)}
\`\`\`

${Object.entries(j.config)
  .map(([name, content]) => `\`${name}\`:\n\n\`\`\`\n${content.trimEnd()}\n\`\`\``)
  .join('\n\n')}

${j.logProblems.length ? `Janus's warnings and errors (the last ${j.logProblems.length}):\n\n\`\`\`\n${j.logProblems.join('\n')}\n\`\`\`\n` : 'Janus logged no warnings or errors beyond its start-up notices.\n'}`;
}

/** Markdown headings one level down, outside code blocks (the config files' comments start with # too). */
function demoteHeadings(md: string): string {
  let inCode = false;
  return md
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) inCode = !inCode;
      return !inCode && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

const janusTitle = (report: JanusReport) => `Janus ${report.janus.version} (VideoRoom) under Muster's load test: calls`;

export async function janusMain(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(JANUS_USAGE);
    return 0;
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options: Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])), strict: true }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${JANUS_USAGE}`);
    return 2;
  }
  const parsed = Options.safeParse(values);
  if (!parsed.success) {
    console.error(`${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('\n')}\n\n${JANUS_USAGE}`);
    return 2;
  }
  const o = parsed.data;
  const isTty = process.stdout.isTTY;
  const progress = (label: string) => (line: string) => {
    if (isTty) process.stdout.write(`\r\x1b[2K${label} ${line}`);
    else console.log(`${label} ${line}`);
  };
  const load = {
    videoCalls: o['video-calls'],
    voiceCalls: o['voice-calls'],
    duration: o.duration,
    ramp: o.ramp,
    botProcesses: o['bot-processes'],
    connectTimeout: o['connect-timeout'],
    mediaRate: o['media-rate'],
  };

  let muster: LoadTestReport | null = null;
  if (o.target === 'both') {
    muster = await runLoadTest({ ...load, scenario: 'calls', rooms: 1, roomSize: 2, workers: o.workers, onProgress: progress('[muster]') });
    if (isTty) process.stdout.write('\n');
  }
  const janus = await runJanusLoadTest({ ...load, eventLoops: o['janus-event-loops'], onProgress: progress('[janus]') });
  if (isTty) process.stdout.write('\n');

  const comparison = muster ? compareReports(muster, janus) : null;
  const { timeline: _timeline, ...janusSummary } = janus;
  console.log(JSON.stringify(comparison ? { musterOverJanus: comparison.musterOverJanus, rows: comparison.rows } : janusSummary, null, 2));
  if (o.json) {
    write(o.json, `${JSON.stringify(comparison ?? janus, null, 2)}\n`);
    console.log(`JSON report: ${o.json} (Janus configuration in ${writeJanusConfig(o.json, janus)}/)`);
  }
  if (o.md) {
    const janusChart = svgBeside(o.md, comparison ? '-janus' : '');
    write(janusChart, timelineSvg(janus.timeline, 'Janus, calls: load, latency and CPU over time'));
    const janusMd = `${markdownReport(janus, path.basename(janusChart), janusTitle(janus))}\n${janusSection(janus)}`;
    if (comparison) {
      const musterChart = svgBeside(o.md, '-muster');
      write(musterChart, timelineSvg(comparison.muster.timeline, 'Muster, calls: load, latency and CPU over time'));
      // The two runs' own reports follow the table, one heading level down.
      write(o.md, `${comparisonMarkdown(comparison)}\n${demoteHeadings(markdownReport(comparison.muster, path.basename(musterChart)))}\n${demoteHeadings(janusMd)}`);
    } else write(o.md, janusMd);
    console.log(`Markdown report: ${o.md}`);
  }
  return 0;
}
