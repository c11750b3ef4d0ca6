/** `npm run loadtest -- --scenario chat …`: flags, progress, report files (cli.ts hands over here). */
import { printAndWriteReport } from '../reportFiles.ts';
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
  printAndWriteReport(report, o, chatMarkdownReport);
  return 0;
}
