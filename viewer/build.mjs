// Bundles the reading room (Mirador 4 and React) into viewer/dist with esbuild: served by our own
// server, nothing fetched from a CDN at run time. No source map in the bundle shipped (VANKHO_SOURCEMAP=1
// writes one beside it, for debugging); each .js is also stored compressed (brotli and gzip, at their
// best levels, once here rather than per request), and the server picks what the browser accepts.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: { 'reading-room': path.join(here, 'src', 'reading-room.js') },
  outdir: dist,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  sourcemap: process.env.VANKHO_SOURCEMAP === '1',
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
for (const name of readdirSync(dist).filter((n) => n.endsWith('.js'))) {
  const data = readFileSync(path.join(dist, name));
  writeFileSync(path.join(dist, `${name}.br`), brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
  writeFileSync(path.join(dist, `${name}.gz`), gzipSync(data, { level: 9 }));
}
