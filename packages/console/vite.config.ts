import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The console is served by `stepwise serve` from this package's dist/; in development, `vite`
// proxies API calls (POST /) to a server on the default port.
export default defineConfig({
  plugins: [react()],
  base: '/',
  // Core's intrinsics import node:crypto for States.Hash only: the browser gets a stub that
  // refuses (src/shims/node-crypto.ts), never a polyfill.
  resolve: {
    alias: { 'node:crypto': fileURLToPath(new URL('./src/shims/node-crypto.ts', import.meta.url)) },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: {
      '^/$': {
        target: 'http://127.0.0.1:8083',
        bypass: (req) => (req.method === 'POST' ? undefined : req.url),
      },
    },
  },
});
