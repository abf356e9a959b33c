/**
 * What tests start and must stop: servers, child processes, browsers. Helpers register each one here
 * and unregister it when it is closed; the root hooks (test/helpers/root-hooks.ts) close whatever a
 * test file left open and fail the run for it. One registry per process, kept on globalThis, so that
 * it stays one even if this module were loaded twice (once by mocha's --require, once by a test).
 */
import type { ChildProcess } from 'node:child_process';

export interface Fixture {
  readonly what: string;
  close(): Promise<void>;
}

const KEY = Symbol.for('vankho.test.fixtures');
const registry = ((globalThis as Record<symbol, unknown>)[KEY] ??= new Set<Fixture>()) as Set<Fixture>;

/** Registers a fixture; call the returned function once it has been closed. */
export function track(what: string, close: () => Promise<void>): () => void {
  const fixture: Fixture = { what, close };
  registry.add(fixture);
  return () => {
    registry.delete(fixture);
  };
}

/** Fixtures still open, oldest first. */
export function openFixtures(): Fixture[] {
  return [...registry];
}

/**
 * Registers a child process until it exits; closing it sends `signal` (SIGKILL unless the child must
 * pass the signal on, as the `tsx` binary does to its own child) and waits for the exit.
 */
export function trackChild<T extends ChildProcess>(child: T, what: string, signal: NodeJS.Signals = 'SIGKILL'): T {
  if (child.exitCode !== null || child.signalCode !== null) return child;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const untrack = track(`child process ${child.pid ?? '?'}: ${what}`, async () => {
    child.kill(signal);
    await exited;
  });
  void exited.then(untrack);
  return child;
}
