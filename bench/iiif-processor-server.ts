/**
 * Reference server for the benchmark: the npm `iiif-processor` library (IIIF Image API 2.1/3.0 on
 * sharp) in the smallest HTTP server that serves it fairly: images by path, and the pyramid's level
 * sizes given once through its dimension function so it can pick a level.
 * Usage: tsx bench/iiif-processor-server.ts IMAGE_DIR PORT   (ids are file names in IMAGE_DIR)
 */
import { createReadStream } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Processor } from 'iiif-processor';
import sharp from 'sharp';

const [dir, port] = process.argv.slice(2) as [string, string];
const dimensions = new Map<string, { width: number; height: number }[]>();

async function levels(id: string) {
  let d = dimensions.get(id);
  if (!d) {
    const file = path.join(dir, path.basename(id));
    const pages = (await sharp(file).metadata()).pages ?? 1;
    d = [];
    for (let page = 0; page < pages; page++) {
      const m = await sharp(file, { page }).metadata();
      d.push({ width: m.width!, height: m.height! });
    }
    dimensions.set(id, d);
  }
  return d;
}

http
  .createServer(async (req, res) => {
    try {
      const processor = new Processor(
        `http://127.0.0.1:${port}${req.url}`,
        async ({ id }: { id: string }) => createReadStream(path.join(dir, path.basename(id))),
        { dimensionFunction: ({ id }: { id: string }) => levels(id) },
      );
      const result = (await processor.execute()) as Record<string, any>;
      if (result.type === 'content') {
        res.writeHead(200, { 'Content-Type': result.contentType });
        res.end(result.body);
      } else if (result.type === 'redirect') {
        res.writeHead(302, { Location: result.location });
        res.end();
      } else {
        res.writeHead(result.statusCode ?? 500);
        res.end(String(result.message));
      }
    } catch (err) {
      res.writeHead((err as { statusCode?: number }).statusCode ?? 500);
      res.end(String((err as Error).message));
    }
  })
  .listen(Number(port), '127.0.0.1');
