/**
 * Chat minutes as a PDF (pdfkit), with a CJK font embedded as a subset
 * (pdfkit writes it as a CID font with a ToUnicode map, so copying or
 * extracting the text gives the Chinese back). Characters the CJK font lacks
 * are drawn with the fallback face when one is installed (DejaVu Sans).
 * No browser, no external process.
 */
import PDFDocument from 'pdfkit';
import { ImError } from '../errors.ts';
import type { CjkFont } from './fonts.ts';
import { fitWithin } from './images.ts';
import type { Minutes } from './minutes.ts';

const MAIN = 'muster-cjk';
const FALLBACK = 'muster-fallback';
const GREY = '#777777';
/** Thumbnails at most this wide or tall, in points (about 5 cm). */
const THUMB_MAX = 144;
/** Entries laid out between two turns of the event loop (about 20 ms of work). */
const YIELD_EVERY = 100;

type Doc = PDFKit.PDFDocument;
interface GlyphSource {
  hasGlyphForCodePoint(codePoint: number): boolean;
}

/** The fontkit font behind the current pdfkit font, when pdfkit exposes it (it has for years: `_font.font`). */
function glyphsOf(doc: Doc): GlyphSource | undefined {
  const font = (doc as unknown as { _font?: { font?: Partial<GlyphSource> } })._font?.font;
  return typeof font?.hasGlyphForCodePoint === 'function' ? (font as GlyphSource) : undefined;
}

/** Splits text into runs by the face that has its characters: the CJK one unless only the fallback has them. */
function runs(text: string, main: GlyphSource | undefined, fallback: GlyphSource | undefined): { font: string; text: string }[] {
  if (!main || !fallback) return [{ font: MAIN, text }];
  const out: { font: string; text: string }[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const font = main.hasGlyphForCodePoint(cp) || !fallback.hasGlyphForCodePoint(cp) || cp < 0x20 ? MAIN : FALLBACK;
    const last = out[out.length - 1];
    if (last && last.font === font) last.text += ch;
    else out.push({ font, text: ch });
  }
  return out;
}

export async function renderPdf(m: Minutes, fonts: { cjk: CjkFont; fallback?: CjkFont | null }): Promise<Buffer> {
  const doc: Doc = new PDFDocument({ size: 'A4', margin: 56, bufferPages: false, info: { Title: m.title, Subject: m.summary, Creator: 'Muster', Producer: 'Muster' }, lang: m.lang === 'zh' ? 'zh-CN' : 'en' });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });
  let main: GlyphSource | undefined;
  let fallback: GlyphSource | undefined;
  try {
    doc.registerFont(MAIN, fonts.cjk.path, fonts.cjk.family ?? '');
    doc.font(MAIN);
    main = glyphsOf(doc);
  } catch (error) {
    throw new ImError('EXPORT_FONT_MISSING', `the CJK font ${fonts.cjk.path}${fonts.cjk.family ? `#${fonts.cjk.family}` : ''} cannot be read (${(error as Error).message}): install fonts-noto-cjk or set MUSTER_CJK_FONT`);
  }
  if (fonts.fallback) {
    try {
      doc.registerFont(FALLBACK, fonts.fallback.path, fonts.fallback.family ?? '');
      doc.font(FALLBACK);
      fallback = glyphsOf(doc);
    } catch {
      fallback = undefined;
    }
    doc.font(MAIN);
  }

  /** One paragraph in the current size and colour, split into font runs. */
  const write = (text: string, options: PDFKit.Mixins.TextOptions = {}) => {
    const parts = runs(text, main, fallback);
    parts.forEach((part, i) => {
      doc.font(part.font).text(part.text, { ...options, continued: i < parts.length - 1 });
    });
    doc.font(MAIN);
  };
  const bottom = () => doc.page.height - doc.page.margins.bottom;

  doc.fillColor('black').fontSize(20);
  write(m.title);
  doc.moveDown(0.5).fontSize(10.5);
  for (const fact of m.facts) write(`${fact.label}: ${fact.value}`);
  doc.moveDown(0.4).fontSize(11);
  write(m.summary);
  const ruleY = doc.y + 4;
  doc.moveTo(doc.page.margins.left, ruleY).lineTo(doc.page.width - doc.page.margins.right, ruleY).strokeColor('#aaaaaa').lineWidth(0.5).stroke();
  doc.moveDown(1);

  let laidOut = 0;
  for (const e of m.entries) {
    // Layout is synchronous: give the event loop a turn every so often (10,000 messages take seconds).
    if (++laidOut % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (e.notice !== undefined) {
      doc.fontSize(9).fillColor(GREY);
      write(`${e.time} · ${e.notice}`, { align: 'center' });
      doc.fillColor('black').moveDown(0.3);
      continue;
    }
    if (doc.y + 40 > bottom()) doc.addPage();
    doc.fontSize(10.5).fillColor('black');
    const parts = runs(e.sender, main, fallback);
    parts.forEach((p) => doc.font(p.font).text(p.text, { continued: true }));
    doc.font(MAIN).fontSize(9).fillColor(GREY).text(`  ${e.time}`);
    // The line ended in the time's smaller size: room for the sender's larger one before what follows.
    doc.y += 3;
    doc.fillColor('black').fontSize(10.5);
    if (e.quote !== undefined) {
      doc.fontSize(9).fillColor(GREY);
      write(`「${e.quote}」`, { indent: 12 });
      doc.fillColor('black').fontSize(10.5);
    }
    for (const b of e.blocks) {
      switch (b.kind) {
        case 'text':
          write(b.text);
          break;
        case 'media':
          doc.fillColor(GREY);
          write(`[${b.text}]`);
          doc.fillColor('black');
          break;
        case 'image':
          if (b.thumbnail) {
            const size = fitWithin(b.thumbnail, THUMB_MAX);
            if (doc.y + size.height > bottom()) doc.addPage();
            try {
              doc.image(b.thumbnail.data, doc.page.margins.left, doc.y, { width: size.width, height: size.height });
              doc.y += size.height + 2;
            } catch {
              // An image pdfkit cannot read is left as its named line below.
            }
          }
          doc.fontSize(9).fillColor(GREY);
          write(`[${b.label}]`);
          doc.fillColor('black').fontSize(10.5);
          break;
        case 'forward':
          write(b.title, { indent: 12 });
          doc.fontSize(9.5);
          for (const item of b.items) write(`• ${item}`, { indent: 24 });
          doc.fontSize(10.5);
          break;
      }
    }
    doc.moveDown(0.6);
  }
  if (m.files.length > 0) {
    doc.moveDown(0.6).fontSize(14).fillColor('black');
    write(m.filesHeading);
    doc.moveDown(0.3).fontSize(10);
    for (const f of m.files) write(`• ${f.name} (${f.size})${f.expired ? ` — ${m.words.expired}` : ''} · ${f.sender} · ${f.time}`);
  }
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
