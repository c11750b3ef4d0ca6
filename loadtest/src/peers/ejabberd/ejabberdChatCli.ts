/** `npm run loadtest -- --scenario chat --target ejabberd …`: the run, and its reports with the generated ejabberd.yml beside them (chatCli.ts hands over here). */
import path from 'node:path';
import { printAndWriteReport, writeFileIn } from '../../reportFiles.ts';
import type { ChatOptions } from '../../chat/options.ts';
import { ejabberdChatMarkdownReport } from './ejabberdChatReport.ts';
import { runEjabberdChatLoadTest } from './EjabberdChatLoadTest.ts';

export async function ejabberdChatMain(o: ChatOptions): Promise<number> {
  const { report, config } = await runEjabberdChatLoadTest(o, (line) => console.log(line));
  // The configuration goes beside the first report file, named after it, so a folder of runs keeps each one's.
  const beside = o.json ?? o.md;
  if (beside) {
    const configFile = `${beside.replace(/\.(json|md)$/, '')}.ejabberd.yml`;
    writeFileIn(configFile, config);
    report.ejabberd.configFile = path.basename(configFile);
    console.log(`ejabberd configuration: ${configFile}`);
  }
  printAndWriteReport(report, o, ejabberdChatMarkdownReport);
  return 0;
}
