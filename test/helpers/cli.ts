/**
 * Runs the real `vankho` CLI as a separate process: `node --import tsx server/cli.ts`, one process
 * (the `tsx` binary would run it in a child, out of reach of a test's SIGKILL).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../server/config.js';
import { trackChild } from './fixtures.js';

const ARGS = ['--import', 'tsx', path.join(projectRoot, 'server', 'cli.ts')];

export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [...ARGS, ...args], { cwd: projectRoot, env: { ...process.env, ...env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    trackChild(child, `vankho ${args.join(' ')}`);
  });
}

export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  return trackChild(spawn(process.execPath, [...ARGS, ...args], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }), `vankho ${args.join(' ')}`);
}
