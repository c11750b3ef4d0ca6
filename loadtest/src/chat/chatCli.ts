/** `npm run loadtest -- --scenario chat …`: flags, progress, report files (cli.ts hands over here). */
import fs from 'node:fs';
import path from 'node:path';
import { runChatLoadTest } from './ChatLoadTest.ts';
import { chatMarkdownReport } from './chatReport.ts';
import { CHAT_USAGE, parseChatArgs } from './options.ts';

export async function chatMain(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(CHAT_USAGE);
    return 0;
  }
  const parsed = parseChatArgs(argv);
  if (!parsed.ok) {
    console.error(`${parsed.problems.join('\n')}\n\n${CHAT_USAGE}`);
    return 2;
  }
  const o = parsed.options;
  if (o.target === 'ejabberd') return (await import('../peers/ejabberd/ejabberdChatCli.ts')).ejabberdChatMain(o);
  const report = await runChatLoadTest(o, (line) => console.log(line));
  const { timeline: _timeline, ...summary } = report;
  console.log(JSON.stringify(summary, null, 2));
  if (o.json) {
    fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
    fs.writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`JSON report: ${o.json}`);
  }
  if (o.md) {
    fs.mkdirSync(path.dirname(path.resolve(o.md)), { recursive: true });
    fs.writeFileSync(o.md, chatMarkdownReport(report));
    console.log(`Markdown report: ${o.md}`);
  }
  return 0;
}
