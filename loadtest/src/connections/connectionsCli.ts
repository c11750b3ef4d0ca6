/** `npm run loadtest -- --scenario connections …`: flags, progress, report files (cli.ts hands over here). */
import fs from 'node:fs';
import path from 'node:path';
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
  const { timeline: _timeline, ...summary } = report;
  console.log(JSON.stringify(summary, null, 2));
  if (o.json) {
    fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
    fs.writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`JSON report: ${o.json}`);
  }
  if (o.md) {
    fs.mkdirSync(path.dirname(path.resolve(o.md)), { recursive: true });
    fs.writeFileSync(o.md, connectionsMarkdownReport(report));
    console.log(`Markdown report: ${o.md}`);
  }
  return 0;
}
