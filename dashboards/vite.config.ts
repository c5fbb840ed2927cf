import { defineConfig } from 'vite';

// Preact's automatic JSX runtime through vite's own transform (oxc): no framework plugin needed.
export default defineConfig({
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be the only inline code; every browser the console targets has modulepreload.
    modulePreload: { polyfill: false },
    // Everything is a hashed file under /assets/: the CSP allows no inline script, style or data: fonts.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev -w @shadow-ai/dashboards` next to `npm start`: the API answers /v1 on the same origin.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
