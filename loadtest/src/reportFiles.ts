import fs from 'node:fs';
import path from 'node:path';

/** Writes a file, making its directory first. */
export function writeFileIn(file: string, content: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, content);
}

/**
 * The end of every scenario's command: the report without its per-second
 * timeline on stdout, then the JSON report (whole) and the Markdown one
 * where `--json` and `--md` asked for them.
 */
export function printAndWriteReport<R extends { timeline?: unknown }>(report: R, files: { json?: string; md?: string }, markdown: (report: R) => string): void {
  const { timeline: _timeline, ...summary } = report;
  console.log(JSON.stringify(summary, null, 2));
  if (files.json) {
    writeFileIn(files.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`JSON report: ${files.json}`);
  }
  if (files.md) {
    writeFileIn(files.md, markdown(report));
    console.log(`Markdown report: ${files.md}`);
  }
}
