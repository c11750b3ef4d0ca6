/** `npm run loadtest -- --scenario connections …`: flags, progress, report files (cli.ts hands over here). */
import { printAndWriteReport } from '../reportFiles.ts';
import { runConnectionsLoadTest } from './ConnectionsLoadTest.ts';
import { connectionsMarkdownReport } from './connectionsReport.ts';
import { CONNECTIONS_USAGE, parseConnectionsArgs } from './options.ts';

export async function connectionsMain(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(CONNECTIONS_USAGE);
    return 0;
  }
  const parsed = parseConnectionsArgs(argv);
  if (!parsed.ok) {
    console.error(`${parsed.problems.join('\n')}\n\n${CONNECTIONS_USAGE}`);
    return 2;
  }
  const o = parsed.options;
  const report = await runConnectionsLoadTest(o, (line) => console.log(line));
  printAndWriteReport(report, o, connectionsMarkdownReport);
  return 0;
}
