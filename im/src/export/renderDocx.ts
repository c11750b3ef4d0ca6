/**
 * Chat minutes as a Word document (docx): a title, the facts, the summary,
 * then each message as a sender line and its content, images inline as
 * thumbnails, and the files as a list. The text is Unicode in the XML, so
 * Chinese and emoji come through as they are; the fonts named (with an East
 * Asian face for Chinese) are the reader's to have.
 */
import { AlignmentType, BorderStyle, Document, HeadingLevel, ImageRun, Packer, Paragraph, TextRun } from 'docx';
import { fitWithin } from './images.ts';
import type { Minutes } from './minutes.ts';

const GREY = '777777';
const FONT = { ascii: 'Calibri', hAnsi: 'Calibri', eastAsia: 'Microsoft YaHei', cs: 'Calibri' };
/** Thumbnails at most this wide or tall (px at 96 dpi: about 5 cm). */
const THUMB_MAX = 200;

/** Each line of a text as a run, with breaks between (Word ignores "\n" inside a run). */
function lines(text: string, options: { color?: string; italics?: boolean; bold?: boolean; size?: number } = {}): TextRun[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line, i) => new TextRun({ text: line, ...options, ...(i > 0 ? { break: 1 } : {}) }));
}

export async function renderDocx(m: Minutes, options: { creator?: string } = {}): Promise<Buffer> {
  const body: Paragraph[] = [];
  body.push(new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun({ text: m.title })] }));
  for (const fact of m.facts) body.push(new Paragraph({ children: [new TextRun({ text: `${fact.label}: `, bold: true }), ...lines(fact.value)] }));
  body.push(
    new Paragraph({
      spacing: { before: 120, after: 240 },
      border: { bottom: { style: BorderStyle.SINGLE, size: 6, color: 'AAAAAA', space: 4 } },
      children: [new TextRun({ text: m.summary, bold: true })],
    }),
  );
  for (const e of m.entries) {
    if (e.notice !== undefined) {
      body.push(new Paragraph({ alignment: AlignmentType.CENTER, spacing: { before: 60, after: 60 }, children: lines(`${e.time} · ${e.notice}`, { color: GREY, italics: true, size: 18 }) }));
      continue;
    }
    body.push(
      new Paragraph({
        spacing: { before: 160 },
        keepNext: true,
        children: [new TextRun({ text: e.sender, bold: true }), new TextRun({ text: `  ${e.time}`, color: GREY, size: 18 })],
      }),
    );
    if (e.quote !== undefined) {
      body.push(
        new Paragraph({
          indent: { left: 360 },
          border: { left: { style: BorderStyle.SINGLE, size: 12, color: 'CCCCCC', space: 6 } },
          children: lines(e.quote, { color: GREY, size: 18 }),
        }),
      );
    }
    for (const b of e.blocks) {
      switch (b.kind) {
        case 'text':
          body.push(new Paragraph({ children: lines(b.text) }));
          break;
        case 'media':
          body.push(new Paragraph({ children: lines(`[${b.text}]`, { color: GREY }) }));
          break;
        case 'image':
          if (b.thumbnail) {
            const size = fitWithin(b.thumbnail, THUMB_MAX);
            body.push(
              new Paragraph({
                children: [new ImageRun({ type: b.thumbnail.type, data: b.thumbnail.data, transformation: size, altText: { name: b.label, description: b.label, title: b.label } })],
              }),
            );
          }
          body.push(new Paragraph({ children: lines(`[${b.label}]`, { color: GREY, size: 18 }) }));
          break;
        case 'forward':
          body.push(new Paragraph({ indent: { left: 360 }, children: [new TextRun({ text: b.title, bold: true })] }));
          for (const item of b.items) body.push(new Paragraph({ indent: { left: 360 }, bullet: { level: 0 }, children: lines(item) }));
          break;
      }
    }
  }
  if (m.files.length > 0) {
    body.push(new Paragraph({ heading: HeadingLevel.HEADING_2, spacing: { before: 360 }, children: [new TextRun({ text: m.filesHeading })] }));
    for (const f of m.files) {
      body.push(
        new Paragraph({
          bullet: { level: 0 },
          children: [
            new TextRun({ text: f.name }),
            new TextRun({ text: ` (${f.size})${f.expired ? ` — ${m.words.expired}` : ''} · ${f.sender} · ${f.time}`, color: GREY }),
          ],
        }),
      );
    }
  }
  const document = new Document({
    creator: options.creator ?? 'Muster',
    title: m.title,
    description: m.summary,
    styles: { default: { document: { run: { font: FONT, size: 21 } } } },
    sections: [{ children: body }],
  });
  return Packer.toBuffer(document);
}
