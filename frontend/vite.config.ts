/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';

// GraphiQL (the page at /graphql) runs from files of this server, never a CDN: a county network
// often has no internet. Its pinned UMD builds are copied to dist/graphiql/ next to its boot
// script and stylesheet (public/graphiql/); backend/yimi/graphql/graphiql.html loads them.
const GRAPHIQL_FILES: Record<string, string> = {
  'react.production.min.js': 'react/umd/react.production.min.js',
  'react-dom.production.min.js': 'react-dom/umd/react-dom.production.min.js',
  'graphiql.min.js': 'graphiql/graphiql.min.js',
  'graphiql.min.css': 'graphiql/graphiql.min.css',
};

function graphiqlAssets(): Plugin {
  return {
    name: 'yimi-graphiql-assets',
    apply: 'build',
    async generateBundle() {
      for (const [name, from] of Object.entries(GRAPHIQL_FILES)) {
        const path = decodeURIComponent(new URL(`./node_modules/${from}`, import.meta.url).pathname);
        this.emitFile({ type: 'asset', fileName: `graphiql/${name}`, source: await this.fs.readFile(path) });
      }
    },
  };
}

// `npm run dev` serves the app on Vite's dev server and forwards /graphql to the
// Starlette API (backend/), which listens on 127.0.0.1:8000 in development.
export default defineConfig({
  plugins: [graphiqlAssets()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // dist/.vite/manifest.json: scripts/bundle-size.mjs tells the staff app's chunks from the lazy ones.
    manifest: true,
    // ECharts (the public page's charts chunk, loaded on demand) is ~560 kB on its own.
    chunkSizeWarningLimit: 600,
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
