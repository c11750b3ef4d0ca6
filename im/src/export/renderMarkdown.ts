/** Chat minutes as plain Markdown (CommonMark): people's words escaped, so nobody's text becomes a heading or a link. */
import type { Minutes } from './minutes.ts';

/** Backslash-escapes what Markdown would read as markup, line by line; line breaks stay (as hard breaks). */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) =>
      line
        // Brackets escaped, no link or image can form, so parentheses may stay.
        .replace(/[\\`*_[\]<>#|~]/g, (c) => `\\${c}`)
        // A list marker or an ordered list's "1." / "1)" at the start of a line.
        .replace(/^(\s*)([-+=])/, '$1\\$2')
        .replace(/^(\s*\d+)([.)])/, '$1\\$2'),
    )
    .join('  \n');
}

export function renderMarkdown(m: Minutes): Buffer {
  const out: string[] = [];
  out.push(`# ${escapeMarkdown(m.title)}`, '');
  for (const fact of m.facts) out.push(`- **${escapeMarkdown(fact.label)}**: ${escapeMarkdown(fact.value)}`);
  out.push('', `**${escapeMarkdown(m.summary)}**`, '', '---', '');
  for (const e of m.entries) {
    if (e.notice !== undefined) {
      out.push(`*${e.time} · ${escapeMarkdown(e.notice)}*`, '');
      continue;
    }
    out.push(`**${escapeMarkdown(e.sender)}** · ${e.time}  `);
    if (e.quote !== undefined) out.push(`> ${escapeMarkdown(e.quote)}`, '');
    for (const b of e.blocks) {
      switch (b.kind) {
        case 'text':
          out.push(escapeMarkdown(b.text));
          break;
        case 'image':
        case 'media':
          out.push(`\\[${escapeMarkdown(b.kind === 'image' ? b.label : b.text)}\\]`);
          break;
        case 'forward':
          out.push(`> **${escapeMarkdown(b.title)}**`);
          for (const item of b.items) out.push(`> - ${escapeMarkdown(item)}`);
          break;
      }
    }
    out.push('');
  }
  if (m.files.length > 0) {
    out.push('---', '', `## ${escapeMarkdown(m.filesHeading)}`, '');
    for (const f of m.files) out.push(`- ${escapeMarkdown(f.name)} (${f.size})${f.expired ? ` — ${escapeMarkdown(m.words.expired)}` : ''} · ${escapeMarkdown(f.sender)} · ${f.time}`);
    out.push('');
  }
  return Buffer.from(out.join('\n'), 'utf8');
}
