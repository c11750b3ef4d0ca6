import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { analyze, isBlocked } from './analyze.ts';
import { bufferSource } from './byteSource.ts';
import { sniff } from './sniff.ts';
import { zipOfZeros } from './testFixtures.ts';

describe('sniff: the type comes from the bytes', () => {
  it('a PNG called report.pdf and declared as a PDF is stored as a PNG image', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#0a0' } }).png().toBuffer();
    const analysis = await analyze(bufferSource(png), { declaredName: 'report.pdf', declaredMime: 'application/pdf' });
    expect(analysis).toMatchObject({ mime: 'image/png', extension: 'png', kind: 'image', width: 40, height: 30 });
  });

  it('unknown bytes are application/octet-stream, kind other', async () => {
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    const analysis = await analyze(bufferSource(noise), { declaredName: 'photo.jpg', declaredMime: 'image/jpeg' });
    expect(analysis.mime).toBe('application/octet-stream');
    expect(analysis.kind).toBe('other');
    expect(analysis.extension).toBeUndefined();
  });

  it('UTF-8 text is text/plain, still kind other', async () => {
    const analysis = await analyze(bufferSource(Buffer.from('Grüße aus Berlin — 你好\nline two\n')), { declaredName: 'notes.txt' });
    expect(analysis).toMatchObject({ mime: 'text/plain', kind: 'other' });
  });

  it('a multi-byte character cut by the end of the sniffed head is still text', async () => {
    const text = Buffer.from('汉'.repeat(30_000)); // 90,000 bytes: the 64 KiB head ends inside a character
    expect((await sniff(text.subarray(0, 64 * 1024))).mime).toBe('text/plain');
  });

  it('SVG and HTML are never images, whatever they are called', async () => {
    const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    const svgAnalysis = await analyze(bufferSource(svg), { declaredName: 'cat.png', declaredMime: 'image/png' });
    expect(svgAnalysis).toMatchObject({ mime: 'image/svg+xml', kind: 'other' });
    expect(svgAnalysis.thumbnail).toBeUndefined();
    const bare = await analyze(bufferSource(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')), { declaredName: 'x.svg' });
    expect(bare).toMatchObject({ mime: 'image/svg+xml', kind: 'other' });
    const html = await analyze(bufferSource(Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>')), { declaredName: 'cat.jpg' });
    expect(html).toMatchObject({ mime: 'text/html', kind: 'other' });
  });

  it('a zip bomb is just a zip: never unpacked', async () => {
    const zip = zipOfZeros(512); // 512 MiB of zeros in about half a megabyte
    expect(zip.length).toBeLessThan(1 << 20);
    const before = process.memoryUsage().rss;
    const analysis = await analyze(bufferSource(zip), { declaredName: 'holiday.zip' });
    expect(analysis).toMatchObject({ mime: 'application/zip', extension: 'zip', kind: 'other' });
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('an empty file is application/octet-stream', async () => {
    expect(await analyze(bufferSource(Buffer.alloc(0)), { declaredName: 'empty' })).toEqual({ mime: 'application/octet-stream', kind: 'other' });
  });
});

describe('blockedTypes', () => {
  // "MZ" and a PE header at 0x80: what file-type needs to call it a Windows executable.
  const exe = Buffer.alloc(512);
  exe.write('MZ', 0, 'latin1');
  exe.writeUInt32LE(0x80, 0x3c);
  exe.write('PE\0\0', 0x80, 'latin1');

  it('an executable renamed to .jpg is blocked by its bytes, by extension or by MIME type, in any case', async () => {
    const byExtension = await analyze(bufferSource(exe), { declaredName: 'kitten.jpg', declaredMime: 'image/jpeg', blockedTypes: ['EXE'] });
    expect(byExtension).toMatchObject({ mime: 'application/x-msdownload', extension: 'exe', blocked: true, kind: 'other' });
    const byMime = await analyze(bufferSource(exe), { declaredName: 'kitten.jpg', blockedTypes: ['Application/X-MSDownload'] });
    expect(byMime.blocked).toBe(true);
  });

  it('a text file named .bat is blocked by its name', async () => {
    const analysis = await analyze(bufferSource(Buffer.from('@echo off\r\ndel *.*\r\n')), { declaredName: 'Setup.BAT', blockedTypes: ['.bat'] });
    expect(analysis).toMatchObject({ mime: 'text/plain', blocked: true });
  });

  it('nothing listed, nothing blocked', async () => {
    expect((await analyze(bufferSource(exe), { declaredName: 'a.exe' })).blocked).toBeUndefined();
    expect(isBlocked({ mime: 'image/png', extension: 'png' }, { declaredName: 'a.png', blockedTypes: ['exe', 'application/x-msdownload'] })).toBe(false);
    expect(isBlocked({ mime: 'image/png', extension: 'png' }, { declaredName: 'archive.tar.gz', blockedTypes: ['gz'] })).toBe(true);
    expect(isBlocked({ mime: 'image/png', extension: 'png' }, { declaredName: 'no-extension', blockedTypes: ['no-extension'] })).toBe(false);
  });
});
