/**
 * Test helpers of the chat export: the documents read back with real
 * parsers (DOCX: its zip and word/document.xml; PDF: pdf.js's text
 * extraction), and a small PNG made in memory. Used by the export's own
 * tests and by the server's route test.
 */
import zlib from 'node:zlib';
import JSZip from 'jszip';

/** The text of a DOCX, one line per paragraph, and the images it embeds. */
export async function readDocx(bytes: Buffer): Promise<{ text: string; paragraphs: string[]; media: string[]; title: string | null }> {
  const zip = await JSZip.loadAsync(bytes);
  const xml = await zip.file('word/document.xml')!.async('string');
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  const paragraphs = [...xml.matchAll(/<w:p[ >][\s\S]*?<\/w:p>/g)].map((p) =>
    [...p[0].matchAll(/<w:t(?: [^>]*)?>([\s\S]*?)<\/w:t>|<w:br\/>/g)].map((t) => (t[1] === undefined ? '\n' : unescape(t[1]))).join(''),
  );
  const core = await zip.file('docProps/core.xml')?.async('string');
  const title = core?.match(/<dc:title>([\s\S]*?)<\/dc:title>/)?.[1] ?? null;
  const media = Object.keys(zip.files).filter((name) => name.startsWith('word/media/'));
  return { text: paragraphs.join('\n'), paragraphs, media, title: title === null ? null : unescape(title) };
}

/** The text of a PDF as pdf.js extracts it (what copy and paste or a search index gets), one line per text line, and its page count. */
export async function readPdf(bytes: Buffer): Promise<{ text: string; pages: number; images: number }> {
  const { getDocument, OPS } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, isEvalSupported: false }).promise;
  const lines: string[] = [];
  let images = 0;
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const content = await page.getTextContent();
    let line = '';
    for (const item of content.items) {
      if (!('str' in item)) continue;
      line += item.str;
      if (item.hasEOL) {
        lines.push(line);
        line = '';
      }
    }
    if (line) lines.push(line);
    const ops = await page.getOperatorList();
    images += ops.fnArray.filter((op) => op === OPS.paintImageXObject || op === OPS.paintInlineImageXObject).length;
  }
  await pdf.destroy();
  return { text: lines.join('\n'), pages: pdf.numPages, images };
}

/** A `width` × `height` PNG of one colour. */
export function solidPng(width: number, height: number, rgb: [number, number, number] = [40, 120, 200]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

/** Entries in a document: one full time stamp (seconds) per message line; the facts and the file list show minutes. */
export const entryStamps = (text: string): number => (text.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g) ?? []).length;
