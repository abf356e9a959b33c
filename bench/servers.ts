/**
 * The three servers the benchmark compares, each a separate process tree on 127.0.0.1 so its
 * memory and CPU can be read from /proc:
 * - vankho: our built server (`dist/server/cli.js serve`), derivative cache off (uncached figures);
 *   vankho-cached: the same as shipped, derivative cache on;
 * - iipsrv: Debian's iipimage-server (FastCGI) behind lighttpd;
 * - iiif-processor: the npm library in a minimal HTTP server (bench/iiif-processor-server.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningServer {
  readonly name: string;
  /** URL prefix to which an Image API 2.1 path `{id}/{region}/…` is appended. */
  readonly prefix: string;
  readonly pids: () => number[];
  stop(): Promise<void>;
}

const IIPSRV = '/usr/lib/iipimage-server/iipsrv.fcgi';

async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${what} did not answer ${url}`);
}

function stopper(children: ChildProcess[]) {
  return async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  };
}

export async function startVankho(root: string, storageRoot: string, port: number, probeId: string, cache: boolean): Promise<RunningServer> {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'server', 'cli.js'), 'serve', '--no-demo', '--port', String(port)], {
    // MALLOC_ARENA_MAX as `npm start` and the Dockerfile set it: the server as shipped.
    env: { ...process.env, VANKHO_STORAGE_ROOT: storageRoot, VANKHO_LOG_LEVEL: 'warn', VANKHO_ACCESS_UNATTACHED_IMAGES: 'public', ...(cache ? {} : { VANKHO_CACHE_MAX_BYTES: '0' }), MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`http://127.0.0.1:${port}/iiif/2/${probeId}/info.json`, child, 'vankho');
  // Its render processes (image/render-pool.ts) count too: their CPU and memory are the server's.
  return { name: cache ? 'vankho-cached' : 'vankho', prefix: `http://127.0.0.1:${port}/iiif/2/`, pids: () => [child.pid!, ...childrenOf(child.pid!)], stop: stopper([child]) };
}

/** iipsrv reads `FILESYSTEM_PREFIX + id`; the bench links each pyramid there as `{id}`. */
export async function startIipsrv(workDir: string, imageDir: string, port: number, probeId: string): Promise<RunningServer> {
  const fcgiPort = port + 1;
  const conf = path.join(workDir, 'lighttpd.conf');
  await writeFile(
    conf,
    [
      `server.document-root = "${workDir}"`,
      `server.port = ${port}`,
      'server.bind = "127.0.0.1"',
      'server.modules = ("mod_fastcgi")',
      `server.errorlog = "${path.join(workDir, 'lighttpd.err')}"`,
      `fastcgi.server = ("/fcgi-bin/iipsrv.fcgi" => (("host" => "127.0.0.1", "port" => ${fcgiPort}, "check-local" => "disable")))`,
      '',
    ].join('\n'),
  );
  const iip = spawn(IIPSRV, ['--bind', `127.0.0.1:${fcgiPort}`, '--backlog', '1024'], {
    env: { ...process.env, FILESYSTEM_PREFIX: `${imageDir}/`, VERBOSITY: '0', MAX_CVT: '5000', MEMCACHED_SERVERS: '' },
    stdio: 'ignore',
  });
  const front = spawn('lighttpd', ['-D', '-f', conf], { stdio: 'ignore' });
  await waitFor(`http://127.0.0.1:${port}/fcgi-bin/iipsrv.fcgi?IIIF=${probeId}/info.json`, iip, 'iipsrv');
  return {
    name: 'iipsrv',
    prefix: `http://127.0.0.1:${port}/fcgi-bin/iipsrv.fcgi?IIIF=`,
    pids: () => [iip.pid!, front.pid!],
    stop: stopper([iip, front]),
  };
}

export async function startIiifProcessor(root: string, imageDir: string, port: number, probeId: string): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'iiif-processor-server.ts'), imageDir, String(port)], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`http://127.0.0.1:${port}/iiif/2/${probeId}/info.json`, child, 'iiif-processor');
  return { name: 'iiif-processor', prefix: `http://127.0.0.1:${port}/iiif/2/`, pids: () => [child.pid!], stop: stopper([child]) };
}

/** Resident memory of a process (kB → bytes), 0 once it is gone. */
export function rss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** User + system CPU time of a process, in ms. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from the state field (3rd).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Pids of a process's children (one level: the render pool's processes). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
