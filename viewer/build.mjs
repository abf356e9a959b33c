// Bundles the reading room (Mirador 4 and React) into viewer/dist with esbuild: served by our own
// server, nothing fetched from a CDN at run time.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: { 'reading-room': path.join(here, 'src', 'reading-room.js') },
  outdir: path.join(here, 'dist'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  sourcemap: true,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
