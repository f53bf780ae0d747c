/**
 * The operator UI: `npm run build:ui` builds it to ui/dist (served by the orchestrator at /),
 * `npm run dev:ui` serves it with hot reload and proxies the API to a local orchestrator.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;
const api = process.env.UI_API_TARGET ?? 'http://localhost:3000';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: `${root}dist`,
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // The statechart is imported from ../machines: let the dev server read it.
    fs: { allow: [new URL('..', import.meta.url).pathname] },
    proxy: {
      '/api': { target: api, changeOrigin: true },
      '/health': { target: api, changeOrigin: true },
      '/ready': { target: api, changeOrigin: true },
    },
  },
});
