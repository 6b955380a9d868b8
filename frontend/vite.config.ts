/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// `npm run dev` serves the app on Vite's dev server and forwards /graphql to the
// Starlette API (backend/), which listens on 127.0.0.1:8000 in development.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8000', changeOrigin: true, ws: true },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
