import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runLoadTest } from './LoadTest.ts';
import { markdownReport, timelineSvg } from './report.ts';

// The chat scenario (issue 16) has flags and a report of its own (src/chat/).
{
  const argv = process.argv.slice(2);
  if (argv[argv.indexOf('--scenario') + 1] === 'chat' && argv.includes('--scenario') || argv.includes('--scenario=chat')) {
    const { chatMain } = await import('./chat/chatCli.ts');
    process.exit(await chatMain(argv));
  }
}

// The connections scenario (issue 18: long connections held, memory and CPU per connection) has its own too (src/connections/).
{
  const argv = process.argv.slice(2);
  if ((argv.includes('--scenario') && argv[argv.indexOf('--scenario') + 1] === 'connections') || argv.includes('--scenario=connections')) {
    const { connectionsMain } = await import('./connections/connectionsCli.ts');
    process.exit(await connectionsMain(argv));
  }
}

// The calls scenario against Janus, or Muster then Janus side by side (issue 18), has its own runner (src/peers/janus/).
{
  const argv = process.argv.slice(2);
  const target = argv.includes('--target') ? argv[argv.indexOf('--target') + 1] : argv.find((a) => a.startsWith('--target='))?.slice('--target='.length);
  if (target === 'janus' || target === 'both') {
    const { janusMain } = await import('./peers/janus/janusCli.ts');
    process.exit(await janusMain(argv));
  }
}

const USAGE = `Usage: npm run loadtest -- --scenario calls|meeting|webinar [options]
       npm run loadtest -- --scenario chat --help   (the chat scenario's own flags)
       npm run loadtest -- --scenario connections --help   (long connections held: memory and CPU per connection)
       npm run loadtest -- --scenario calls --target janus|both --help   (against Janus)

  --video-calls N     1:1 video calls (calls scenario)
  --voice-calls M     1:1 voice calls (calls scenario)
  --rooms R           rooms (meeting, webinar)         default 1
  --room-size K       people per meeting / subscribers per webinar  default 4
  --duration S        seconds of steady load after the ramp          default 30
  --ramp B            bots started per second                        default 20
  --url URL           test a running server; otherwise one is started and stopped
  --workers W         media workers of the server started here       default: cores
  --bot-processes P   load-generator processes                       default: 1 per 800 bots
  --connect-timeout S seconds a call may take to connect              default 30
  --media-rate R      bots send R × the real packet rates (0 < R ≤ 1; default 1):
                      many calls up at a fraction of the media, to measure join
                      time and per-connection costs on a machine that cannot
                      generate the full packet load
  --json FILE         write the JSON report
  --md FILE           write the Markdown report (and FILE.svg chart beside it)
`;

const Options = z
  .object({
    scenario: z.enum(['calls', 'meeting', 'webinar']),
    'video-calls': z.coerce.number().int().min(0).max(100_000).default(0),
    'voice-calls': z.coerce.number().int().min(0).max(100_000).default(0),
    rooms: z.coerce.number().int().min(1).max(10_000).default(1),
    'room-size': z.coerce.number().int().min(1).max(1_000).default(4),
    duration: z.coerce.number().min(1).max(86_400).default(30),
    ramp: z.coerce.number().min(0.1).max(10_000).default(20),
    url: z.url().optional(),
    workers: z.coerce.number().int().min(1).max(256).optional(),
    'bot-processes': z.coerce.number().int().min(1).max(64).optional(),
    'connect-timeout': z.coerce.number().min(1).max(600).default(30),
    'media-rate': z.coerce.number().gt(0).max(1).default(1),
    json: z.string().optional(),
    md: z.string().optional(),
  })
  .refine((o) => o.scenario !== 'calls' || o['video-calls'] + o['voice-calls'] > 0, 'the calls scenario needs --video-calls and/or --voice-calls');

const { values } = parseArgs({
  options: Object.fromEntries(
    ['scenario', 'video-calls', 'voice-calls', 'rooms', 'room-size', 'duration', 'ramp', 'url', 'workers', 'bot-processes', 'connect-timeout', 'media-rate', 'json', 'md'].map((k) => [
      k,
      { type: 'string' as const },
    ]),
  ),
  strict: false,
});
if ('help' in values) {
  console.log(USAGE);
  process.exit(0);
}
const parsed = Options.safeParse(values);
if (!parsed.success) {
  console.error(`${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('\n')}\n\n${USAGE}`);
  process.exit(2);
}
const o = parsed.data;
const isTty = process.stdout.isTTY;
const report = await runLoadTest({
  scenario: o.scenario,
  videoCalls: o['video-calls'],
  voiceCalls: o['voice-calls'],
  rooms: o.rooms,
  roomSize: o['room-size'],
  duration: o.duration,
  ramp: o.ramp,
  url: o.url,
  workers: o.workers,
  botProcesses: o['bot-processes'],
  connectTimeout: o['connect-timeout'],
  mediaRate: o['media-rate'],
  onProgress: (line) => {
    if (isTty) process.stdout.write(`\r\x1b[2K${line}`);
    else console.log(line);
  },
});
if (isTty) process.stdout.write('\n');

const { timeline: _timeline, ...summary } = report;
console.log(JSON.stringify(summary, null, 2));
if (o.json) {
  fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
  fs.writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`JSON report: ${o.json}`);
}
if (o.md) {
  const svgFile = o.md.replace(/\.md$/, '') + '.svg';
  fs.mkdirSync(path.dirname(path.resolve(o.md)), { recursive: true });
  fs.writeFileSync(svgFile, timelineSvg(report.timeline, `${report.scenario}: load, latency and CPU over time`));
  fs.writeFileSync(o.md, markdownReport(report, path.basename(svgFile)));
  console.log(`Markdown report: ${o.md} (chart ${svgFile})`);
}
process.exit(0);
