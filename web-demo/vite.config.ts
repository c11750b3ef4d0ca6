import { defineConfig, type Plugin } from 'vite';

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

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  plugins: [strictCspShell()],
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
    proxy: { '/socket.io': { target: 'http://localhost:8080', ws: true }, '/api': 'http://localhost:8080' },
  },
});
