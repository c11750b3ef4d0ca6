/**
 * Where the CJK font a PDF export embeds comes from: `MUSTER_CJK_FONT` if
 * set, else the first of the places Linux distributions install Noto Sans
 * CJK (Debian's fonts-noto-cjk first) or WenQuanYi. A PDF is only made with
 * one: without it Chinese would come out as empty boxes, so the export says
 * EXPORT_FONT_MISSING instead (DOCX and Markdown need no font on the server).
 */
import fs from 'node:fs';

/** A font file and, for a collection (.ttc), the PostScript name of the face in it to use. */
export interface CjkFont {
  path: string;
  /** The face of a .ttc collection (e.g. NotoSansCJKsc-Regular); absent for a single-face .otf/.ttf. */
  family?: string;
}

/** Known places, in order; the Simplified Chinese face of each collection. */
export const KNOWN_CJK_FONTS: readonly CjkFont[] = [
  // Debian, Ubuntu: apt-get install fonts-noto-cjk
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  // Fedora, RHEL: google-noto-sans-cjk-fonts (older: google-noto-cjk-fonts)
  { path: '/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  // Arch: noto-fonts-cjk; Alpine: font-noto-cjk
  { path: '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/noto-cjk/NotoSansCJKsc-Regular.otf' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf' },
  { path: '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc', family: 'NotoSerifCJKsc-Regular' },
  // WenQuanYi (fonts-wqy-microhei, fonts-wqy-zenhei)
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', family: 'WenQuanYiZenHei' },
];

/** A face for what the CJK font lacks (symbols, some emoji-like signs); optional. */
export const KNOWN_FALLBACK_FONTS: readonly CjkFont[] = [{ path: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf' }];

/**
 * Parses `MUSTER_CJK_FONT`: a path, or `path#PostScriptName` to pick a face
 * of a collection (`/fonts/NotoSansCJK-Regular.ttc#NotoSansCJKtc-Regular`).
 * A .ttc without a face name gets Noto's Simplified Chinese face.
 */
export function parseFontSetting(value: string): CjkFont {
  const hash = value.lastIndexOf('#');
  const path = hash > 0 ? value.slice(0, hash) : value;
  const family = hash > 0 ? value.slice(hash + 1) : undefined;
  if (family) return { path, family };
  if (/\.ttc$/i.test(path)) return { path, family: /serif/i.test(path) ? 'NotoSerifCJKsc-Regular' : 'NotoSansCJKsc-Regular' };
  return { path };
}

/**
 * The CJK font to embed, or null if none is installed. `env` and `exists`
 * are for tests. A `MUSTER_CJK_FONT` naming a file that is not there is
 * null too (and not silently replaced by another font).
 */
export function locateCjkFont(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = fileExists): CjkFont | null {
  const set = env.MUSTER_CJK_FONT?.trim();
  if (set) {
    const font = parseFontSetting(set);
    return exists(font.path) ? font : null;
  }
  return KNOWN_CJK_FONTS.find((f) => exists(f.path)) ?? null;
}

/** The fallback face, if installed. */
export function locateFallbackFont(exists: (path: string) => boolean = fileExists): CjkFont | null {
  return KNOWN_FALLBACK_FONTS.find((f) => exists(f.path)) ?? null;
}

function fileExists(path: string): boolean {
  try {
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}
