/**
 * Makes the app's PNG icons from our own SVG (public/icons/muster.svg, the
 * favicon's three bars), once: the PNGs are committed, so a build needs no
 * image tools. Run again only when the mark changes:
 *
 *   node --import tsx web-demo/scripts/make-icons.ts
 *
 * sharp comes from the workspaces that already depend on it (files, accounts).
 *
 * - icon-192/512: the mark as it is (rounded square), purpose "any".
 * - maskable-192/512: full-bleed background, the bars inside the 80 % safe
 *   circle, for launchers that cut their own shape.
 * - apple-touch-icon (180): a full square; iOS rounds it.
 * - badge-96: white bars on transparent, the small monochrome icon Android
 *   shows in the status bar for a notification.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const dir = path.resolve(new URL('../public/icons', import.meta.url).pathname);
const BG = '#0d0f13';
const bars = (fill: (i: number) => string) =>
  `<rect x="4.5" y="9" width="4" height="10" rx="2" fill="${fill(0)}"/><rect x="10" y="5" width="4" height="14" rx="2" fill="${fill(1)}"/><rect x="15.5" y="7.5" width="4" height="11.5" rx="2" fill="${fill(2)}"/>`;
const colours = (i: number) => (i === 1 ? '#5b8cff' : '#7aa2ff');

/** The bars scaled by `scale` about the centre of a 24-unit square. */
const scaled = (scale: number, fill: (i: number) => string) => `<g transform="translate(12 12) scale(${scale}) translate(-12 -12)">${bars(fill)}</g>`;

const svgs: Record<string, { svg: string; size: number }> = {
  'icon-192.png': { size: 192, svg: fs.readFileSync(path.join(dir, 'muster.svg'), 'utf8') },
  'icon-512.png': { size: 512, svg: fs.readFileSync(path.join(dir, 'muster.svg'), 'utf8') },
  'maskable-192.png': { size: 192, svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" fill="${BG}"/>${scaled(0.72, colours)}</svg>` },
  'maskable-512.png': { size: 512, svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" fill="${BG}"/>${scaled(0.72, colours)}</svg>` },
  'apple-touch-icon.png': { size: 180, svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" fill="${BG}"/>${scaled(0.85, colours)}</svg>` },
  'badge-96.png': { size: 96, svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">${scaled(1.15, () => '#ffffff')}</svg>` },
};

for (const [name, { svg, size }] of Object.entries(svgs)) {
  await sharp(Buffer.from(svg), { density: Math.ceil((72 * size) / 24) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(path.join(dir, name));
  console.log(`${name} ${size}×${size}`);
}
