import { defineConfig } from 'vite';

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    // `npm run dev -w web-demo` against a server started with `npm start`.
    proxy: { '/socket.io': { target: 'http://localhost:8080', ws: true }, '/api': 'http://localhost:8080' },
  },
});
