/** `npm run loadtest -- --scenario chat --target ejabberd …`: the run, and its reports with the generated ejabberd.yml beside them (chatCli.ts hands over here). */
import fs from 'node:fs';
import path from 'node:path';
import type { ChatOptions } from '../../chat/options.ts';
import { ejabberdChatMarkdownReport } from './ejabberdChatReport.ts';
import { runEjabberdChatLoadTest } from './EjabberdChatLoadTest.ts';

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
};

export async function ejabberdChatMain(o: ChatOptions): Promise<number> {
  const { report, config } = await runEjabberdChatLoadTest(o, (line) => console.log(line));
  // The configuration goes beside the first report file, named after it, so a folder of runs keeps each one's.
  const beside = o.json ?? o.md;
  if (beside) {
    const configFile = `${beside.replace(/\.(json|md)$/, '')}.ejabberd.yml`;
    write(configFile, config);
    report.ejabberd.configFile = path.basename(configFile);
    console.log(`ejabberd configuration: ${configFile}`);
  }
  const { timeline: _timeline, ...summary } = report;
  console.log(JSON.stringify(summary, null, 2));
  if (o.json) {
    write(o.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`JSON report: ${o.json}`);
  }
  if (o.md) {
    write(o.md, ejabberdChatMarkdownReport(report));
    console.log(`Markdown report: ${o.md}`);
  }
  return 0;
}
