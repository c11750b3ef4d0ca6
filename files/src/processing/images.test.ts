import sharp, { type Exif } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from './analyze.ts';
import { bufferSource } from './byteSource.ts';
import { readExif } from './exif.ts';
import { IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS } from './images.ts';
import { ffmpegFile, pngClaiming, scratchDir, testsrc } from './testFixtures.ts';

const GPS = { GPSLatitudeRef: 'N', GPSLatitude: '39/1 54/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '116/1 23/1 0/1' };

/** A photo with a colour gradient (so re-encoding has something to lose), optional EXIF. */
async function photo(options: { width?: number; height?: number; exif?: Exif; orientation?: number } = {}): Promise<Buffer> {
  const width = options.width ?? 600;
  const height = options.height ?? 400;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set([(x * 255) / width, (y * 255) / height, 128], (y * width + x) * 3);
  let image = sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 });
  if (options.exif) image = image.withExif(options.exif);
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  return image.toBuffer();
}

describe('images', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  beforeAll(async () => {
    scratch = await scratchDir();
  });
  afterAll(() => scratch.remove());

  it('a JPEG: its size and a WebP thumbnail of at most 480 px on the long side', async () => {
    const analysis = await analyze(bufferSource(await photo({ width: 1200, height: 800 })), { declaredName: 'a.jpg' });
    expect(analysis).toMatchObject({ mime: 'image/jpeg', extension: 'jpg', kind: 'image', width: 1200, height: 800 });
    expect(analysis.thumbnail!.mime).toBe('image/webp');
    const thumb = await sharp(analysis.thumbnail!.bytes).metadata();
    expect(thumb).toMatchObject({ format: 'webp', width: 480, height: 320 });
    expect(analysis.replacement).toBeUndefined();
  });

  it('a small image is not enlarged', async () => {
    const analysis = await analyze(bufferSource(await photo({ width: 100, height: 50 })), { declaredName: 'a.jpg' });
    expect(await sharp(analysis.thumbnail!.bytes).metadata()).toMatchObject({ width: 100, height: 50 });
  });

  it('EXIF orientation is applied: a portrait phone photo stored sideways reports portrait', async () => {
    const analysis = await analyze(bufferSource(await photo({ width: 600, height: 400, orientation: 6 })), { declaredName: 'p.jpg' });
    expect(analysis).toMatchObject({ width: 400, height: 600 });
    expect(await sharp(analysis.thumbnail!.bytes).metadata()).toMatchObject({ width: 320, height: 480 });
  });

  it('an animated GIF: the first frame only', async () => {
    const gif = await ffmpegFile(scratch.dir, 'anim.gif', [...testsrc(1, '320x240', 5)]);
    const meta = await sharp(gif).metadata();
    expect(meta.pages).toBeGreaterThan(1);
    const analysis = await analyze(bufferSource(gif), { declaredName: 'anim.gif' });
    expect(analysis).toMatchObject({ mime: 'image/gif', kind: 'image', width: 320, height: 240 });
    const thumb = await sharp(analysis.thumbnail!.bytes, { pages: -1 }).metadata();
    expect(thumb.pages ?? 1).toBe(1);
    expect(thumb).toMatchObject({ width: 320, height: 240 });
  });

  it('an animated PNG is an image: its first frame', async () => {
    const apng = await ffmpegFile(scratch.dir, 'anim.apng', [...testsrc(1, '160x120', 5), '-f', 'apng']);
    const analysis = await analyze(bufferSource(apng), { declaredName: 'anim.png' });
    expect(analysis).toMatchObject({ mime: 'image/apng', kind: 'image', width: 160, height: 120 });
  });

  it('PNG and WebP', async () => {
    const base = sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } });
    const png = await analyze(bufferSource(await base.clone().png().toBuffer()), { declaredName: 'a.png' });
    expect(png).toMatchObject({ mime: 'image/png', kind: 'image', width: 300, height: 200 });
    const webp = await analyze(bufferSource(await base.clone().webp().toBuffer()), { declaredName: 'a.webp' });
    expect(webp).toMatchObject({ mime: 'image/webp', kind: 'image', width: 300, height: 200 });
  });

  it('a decompression bomb (a 225-byte PNG claiming 50,000 × 50,000) is a plain file, refused by its header', async () => {
    const bomb = pngClaiming(50_000, 50_000);
    expect(bomb.length).toBeLessThan(1024);
    const before = process.memoryUsage().rss;
    const analysis = await analyze(bufferSource(bomb), { declaredName: 'bomb.png' });
    expect(analysis).toMatchObject({ mime: 'image/png', kind: 'other' });
    expect(analysis.problem).toMatch(/megapixel/);
    expect(analysis.thumbnail).toBeUndefined();
    // 50,000² RGB would be 7.5 GB: the header check keeps growth to noise.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expect(IMAGE_MAX_PIXELS).toBe(50_000_000);
  });

  it('an image just under the pixel limit that lies about its data is a plain file too (the decode fails, nothing throws)', async () => {
    const analysis = await analyze(bufferSource(pngClaiming(7000, 7000)), { declaredName: 'liar.png' });
    expect(analysis.kind).toBe('other');
    expect(analysis.problem).toMatch(/decode/);
  });

  it('a corrupt JPEG is a plain file with a problem', async () => {
    const jpeg = await photo();
    const broken = Buffer.concat([jpeg.subarray(0, 200), Buffer.alloc(2000, 0x55)]);
    const analysis = await analyze(bufferSource(broken), { declaredName: 'broken.jpg' });
    expect(analysis).toMatchObject({ mime: 'image/jpeg', kind: 'other' });
    expect(analysis.problem).toBeTruthy();
  });

  it('an image over IMAGE_MAX_BYTES is stored but not decoded', async () => {
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } }).png().toBuffer();
    const huge = Buffer.concat([png, Buffer.alloc(IMAGE_MAX_BYTES + 1 - png.length)]);
    const analysis = await analyze(bufferSource(huge), { declaredName: 'huge.png' });
    expect(analysis).toMatchObject({ mime: 'image/png', kind: 'other' });
    expect(analysis.problem).toMatch(/MiB/);
  });
});

describe('location in photos', () => {
  const exif = { IFD0: { Make: 'Muster', Model: 'Cam 1' }, IFD2: { DateTimeOriginal: '2024:05:01 10:00:00' }, IFD3: GPS };

  it('a JPEG with GPS gets a replacement without it: upright, high quality, make/model/date kept', async () => {
    const original = await photo({ width: 600, height: 400, exif, orientation: 6 });
    expect(readExif((await sharp(original).metadata()).exif!).hasGps).toBe(true);
    const analysis = await analyze(bufferSource(original), { declaredName: 'holiday.jpg' });
    expect(analysis.kind).toBe('image');
    const replacement = analysis.replacement!;
    expect(replacement.mime).toBe('image/jpeg');
    const meta = await sharp(replacement.bytes).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 400, height: 600 });
    expect(meta.orientation ?? 1).toBe(1);
    const summary = readExif(meta.exif!);
    expect(summary).toEqual({ hasGps: false, make: 'Muster', model: 'Cam 1', dateTimeOriginal: '2024:05:01 10:00:00' });
    // Independent of our reader: no GPS tag names anywhere in the metadata sharp sees.
    expect(meta.exif!.includes(Buffer.from([0x25, 0x88])) || meta.exif!.includes(Buffer.from([0x88, 0x25]))).toBe(false);
    // High quality: the picture is still the picture.
    const [a, b] = await Promise.all([sharp(original).autoOrient().raw().toBuffer(), sharp(replacement.bytes).raw().toBuffer()]);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
    expect(diff / a.length).toBeLessThan(3);
  });

  it('the ICC profile survives the replacement', async () => {
    const withIcc = await sharp(await photo({ exif: { IFD3: GPS } })).withIccProfile('p3').jpeg().withExif({ IFD3: GPS }).toBuffer();
    expect((await sharp(withIcc).metadata()).icc).toBeDefined();
    const analysis = await analyze(bufferSource(withIcc), { declaredName: 'p3.jpg' });
    expect((await sharp(analysis.replacement!.bytes).metadata()).icc).toBeDefined();
  });

  it('keepLocation: no replacement', async () => {
    const analysis = await analyze(bufferSource(await photo({ exif })), { declaredName: 'here.jpg', keepLocation: true });
    expect(analysis.kind).toBe('image');
    expect(analysis.replacement).toBeUndefined();
  });

  it('EXIF without GPS: no replacement', async () => {
    const analysis = await analyze(bufferSource(await photo({ exif: { IFD0: { Make: 'Muster' } } })), { declaredName: 'a.jpg' });
    expect(analysis.replacement).toBeUndefined();
  });

  it('a PNG and a WebP with GPS are replaced in their own format', async () => {
    const base = sharp({ create: { width: 64, height: 48, channels: 3, background: '#123456' } }).withExif({ IFD3: GPS });
    for (const [bytes, mime] of [
      [await base.clone().png().toBuffer(), 'image/png'],
      [await base.clone().webp().toBuffer(), 'image/webp'],
    ] as const) {
      expect(readExif((await sharp(bytes).metadata()).exif!).hasGps).toBe(true);
      const analysis = await analyze(bufferSource(bytes), { declaredName: 'x' });
      expect(analysis.replacement!.mime).toBe(mime);
      const exifAfter = (await sharp(analysis.replacement!.bytes).metadata()).exif;
      expect(exifAfter === undefined || !readExif(exifAfter).hasGps).toBe(true);
    }
  });

  it('the EXIF reader: big-endian, broken offsets, garbage', () => {
    // A minimal big-endian TIFF: IFD0 with one GPS pointer to an IFD holding one entry.
    const tiff = Buffer.alloc(64);
    tiff.write('MM', 0, 'latin1');
    tiff.writeUInt16BE(42, 2);
    tiff.writeUInt32BE(8, 4);
    tiff.writeUInt16BE(1, 8);
    tiff.writeUInt16BE(0x8825, 10);
    tiff.writeUInt16BE(4, 12);
    tiff.writeUInt32BE(1, 14);
    tiff.writeUInt32BE(26, 18);
    tiff.writeUInt16BE(1, 26);
    tiff.writeUInt16BE(0x0001, 28);
    expect(readExif(tiff).hasGps).toBe(true);
    tiff.writeUInt32BE(60_000, 18); // the GPS pointer leads outside: cannot rule a location out
    expect(readExif(tiff).hasGps).toBe(true);
    expect(readExif(Buffer.from('garbage')).hasGps).toBe(true);
  });
});
