import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * In dev, deep links such as /admin/members/42 must load admin/index.html (the server does
 * the same fallback in production for web/dist).
 */
function spaFallback(): Plugin {
  return {
    name: 'vafa-spa-fallback',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const url = req.url ?? '/';
        const path = url.split('?')[0];
        const looksLikeAsset = /\.[a-z0-9]+$/i.test(path) || path.startsWith('/@') || path.startsWith('/src/') || path.startsWith('/node_modules/');
        if (!looksLikeAsset) {
          if (path === '/' || path === '/admin' || path.startsWith('/admin/')) req.url = '/admin/index.html';
          else if (path === '/app' || path.startsWith('/app/')) req.url = '/app/index.html';
        }
        next();
      });
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  plugins: [react(), spaFallback()],
  publicDir: resolve(root, 'public'),
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      input: {
        admin: resolve(root, 'admin/index.html'),
        app: resolve(root, 'app/index.html'),
      },
      output: {
        // Stable vendor chunks shared by both apps; echarts stays with the dashboard page only.
        manualChunks(id: string) {
          if (!id.includes('node_modules')) return undefined;
          if (/node_modules\/(react|react-dom|react-router|react-router-dom|scheduler)\//.test(id)) return 'react';
          if (/node_modules\/(echarts|zrender)\//.test(id)) return 'echarts';
          return undefined;
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:8080', '/openapi.json': 'http://127.0.0.1:8080' },
  },
});
