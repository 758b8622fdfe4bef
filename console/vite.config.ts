import { defineConfig } from 'vite';

// The control plane listens here during development; the console proxies its API and metrics to it.
const controlPlane = 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Everything ships from the control plane itself: no CDN, no web fonts, no external assets.
    assetsInlineLimit: 8192,
    // The bench (npm run bench:console) reads which chunks index.html loads from the manifest.
    manifest: true,
  },
  server: {
    proxy: {
      '/api': { target: controlPlane },
      '/metrics': { target: controlPlane },
    },
  },
  preview: {
    proxy: {
      '/api': { target: controlPlane },
      '/metrics': { target: controlPlane },
    },
  },
});
