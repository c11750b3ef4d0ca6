import path from 'node:path';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runCallsViaChat } from './callsViaChat/CallsViaChatLoadTest.ts';
import { callsViaChatMarkdown } from './callsViaChat/callsViaChatReport.ts';
import { runLoadTest, type LoadTestReport } from './LoadTest.ts';
import { markdownReport, timelineSvg } from './report.ts';
import { printAndWriteReport, writeFileIn } from './reportFiles.ts';

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
  --url URL           test a running server; otherwise one is started and stopped.
                      With --via chat, several (URL,URL…): the calls are dealt over
                      them in turn, a call's two people to the same one
  --via chat          calls scenario: each call rung and answered through the chat
                      (people in the database, contacts, longlink, the IM SDK's calls),
                      then carried in the private room it yields
  --data-dir DIR      with --via chat and --url: the running server's MUSTER_DATA_DIR
                      (its people are written into its database, opened with this
                      environment as the server opens it)
  --media-hosts A,B   with --via chat and --url: the addresses the calls' media comes
                      from (the media hosts of a multi-host deployment); default: the
                      hosts the URLs name
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
    // One URL, or with --via chat several, comma-separated.
    url: z.string().refine((v) => v.split(',').every((u) => z.url().safeParse(u.trim()).success), 'a URL (with --via chat: URLs, comma-separated)').optional(),
    via: z.enum(['chat']).optional(),
    'data-dir': z.string().min(1).optional(),
    'media-hosts': z
      .string()
      .refine((v) => v.split(',').every((a) => isIP(a.trim()) !== 0), 'IP addresses, comma-separated')
      .optional(),
    workers: z.coerce.number().int().min(1).max(256).optional(),
    'bot-processes': z.coerce.number().int().min(1).max(64).optional(),
    'connect-timeout': z.coerce.number().min(1).max(600).default(30),
    'media-rate': z.coerce.number().gt(0).max(1).default(1),
    json: z.string().optional(),
    md: z.string().optional(),
  })
  .refine((o) => o.scenario !== 'calls' || o['video-calls'] + o['voice-calls'] > 0, 'the calls scenario needs --video-calls and/or --voice-calls')
  .refine((o) => o.via === undefined || o.scenario === 'calls', { message: '--via chat makes the calls scenario’s calls', path: ['via'] })
  .refine((o) => o.via === 'chat' || !o.url?.includes(','), { message: 'several URLs go with --via chat', path: ['url'] })
  .refine((o) => (o.via === 'chat' && o.url !== undefined) === (o['data-dir'] !== undefined), { message: '--via chat with --url needs --data-dir (the running server’s MUSTER_DATA_DIR); --data-dir goes with them only', path: ['data-dir'] });

const { values } = parseArgs({
  options: Object.fromEntries(
    ['scenario', 'video-calls', 'voice-calls', 'rooms', 'room-size', 'duration', 'ramp', 'url', 'via', 'data-dir', 'media-hosts', 'workers', 'bot-processes', 'connect-timeout', 'media-rate', 'json', 'md'].map((k) => [
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
const options = {
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
  onProgress: (line: string) => {
    if (isTty) process.stdout.write(`\r\x1b[2K${line}`);
    else console.log(line);
  },
};
/** The report on stdout and in the files asked for; the Markdown one's chart beside it. */
function finish<R extends LoadTestReport>(report: R, markdown: (report: R, chartFile: string) => string): void {
  if (isTty) process.stdout.write('\n');
  const svgFile = o.md ? `${o.md.replace(/\.md$/, '')}.svg` : '';
  printAndWriteReport(report, o, (r) => markdown(r, path.basename(svgFile)));
  if (o.md) {
    writeFileIn(svgFile, timelineSvg(report.timeline, `${report.scenario}${o.via ? ` via ${o.via}` : ''}: load, latency and CPU over time`));
    console.log(`Chart: ${svgFile}`);
  }
}

if (o.via === 'chat') finish(await runCallsViaChat({ ...options, dataDir: o['data-dir'], mediaHosts: o['media-hosts']?.split(',').map((a) => a.trim()) }), callsViaChatMarkdown);
else finish(await runLoadTest(options), (r, chart) => markdownReport(r, chart));
process.exit(0);
