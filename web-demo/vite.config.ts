import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build, defineConfig, type Plugin } from 'vite';

/**
 * The server sends a strict Content-Security-Policy (server/src/http/securityHeaders.ts):
 * scripts and styles from the page's own origin only, no inline code. This
 * fails the build when the app shell would break that: an inline <script>,
 * a <style> element, a style="" attribute or an on…="" handler in index.html.
 */
function strictCspShell(): Plugin {
  return {
    name: 'muster-strict-csp-shell',
    apply: 'build',
    enforce: 'post',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const problems = [
          /<script\b(?![^>]*\bsrc=)[^>]*>/i.test(html) && 'an inline <script>',
          /<style\b/i.test(html) && 'a <style> element',
          /\sstyle\s*=/i.test(html) && 'a style="" attribute',
          /\son[a-z]+\s*=/i.test(html) && 'an inline event handler',
        ].filter(Boolean);
        if (problems.length > 0) throw new Error(`index.html would break the Content-Security-Policy: it has ${problems.join(', ')}`);
        return html;
      },
    },
  };
}

/**
 * The service worker (`dist/sw.js`, from src/sw/sw.ts): a second, separate
 * build once the app's is written, as one classic script (IIFE) with no
 * imports, so it runs as a worker in every browser (module workers are not
 * everywhere) and shares no chunk with the app. It gets the list of files to
 * precache (index.html, every file the app's build emitted, everything in
 * public/) and a version hashed from their contents, so each deploy makes
 * a new shell cache and drops the old one. Written in TypeScript rather
 * than as a hand-written public/sw.js: it is type-checked with the client,
 * its decisions (src/sw/logic.ts) are unit-tested, and the exact file list
 * comes from the bundle instead of being guessed at run time.
 */
function serviceWorker(): Plugin {
  const root = new URL('.', import.meta.url).pathname;
  /** Path → content hash of every file of the app's build (index.html and hashed assets). */
  let emitted = new Map<string, string>();
  const digest = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
  return {
    name: 'muster-service-worker',
    apply: 'build',
    // Once written: the bundle then holds index.html too (the HTML plugin emits it late).
    writeBundle(_options, bundle) {
      for (const [name, item] of Object.entries(bundle).sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (name.endsWith('.map') || name.startsWith('.vite/')) continue;
        emitted.set(`/${name}`, digest(item.type === 'chunk' ? item.code : item.source));
      }
    },
    async closeBundle() {
      if (emitted.size === 0) return;
      const files = emitted;
      emitted = new Map();
      const publicDir = path.join(root, 'public');
      const inPublic = fs.existsSync(publicDir) ? (fs.readdirSync(publicDir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((e) => e.isFile()) : [];
      for (const entry of inPublic.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = path.join(entry.parentPath, entry.name);
        const rel = `/${path.relative(publicDir, full).split(path.sep).join('/')}`;
        files.set(rel, digest(fs.readFileSync(full)));
      }
      const precache = [...files.keys()].sort();
      const version = digest(precache.map((file) => `${file} ${files.get(file)}`).join('\n')).slice(0, 16);
      await build({
        configFile: false,
        root,
        logLevel: 'warn',
        publicDir: false,
        define: { __MUSTER_PRECACHE__: JSON.stringify(precache), __MUSTER_SW_VERSION__: JSON.stringify(version) },
        build: {
          outDir: 'dist',
          emptyOutDir: false,
          copyPublicDir: false,
          target: 'es2022',
          minify: true,
          lib: { entry: path.join(root, 'src/sw/sw.ts'), formats: ['iife'], name: 'musterServiceWorker', fileName: () => 'sw.js' },
        },
      });
    },
  };
}

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  plugins: [strictCspShell(), serviceWorker()],
  // Preact's automatic JSX runtime (the root tsconfig.json says the same for the typecheck).
  // Vite 8 transforms TypeScript and JSX with oxc; no Preact plugin is needed for a build.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: {
    // One copy of Preact, whatever a dependency asks for: @preact/signals hooks into the instance that renders.
    dedupe: ['preact', '@preact/signals'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Every browser the client supports has <link rel="modulepreload">; the polyfill is code we need not ship.
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev -w web-demo` against a server started with `npm start`.
    proxy: { '/socket.io': { target: 'http://localhost:8080', ws: true }, '/longlink': { target: 'http://localhost:8080', ws: true }, '/api': 'http://localhost:8080' },
  },
});
