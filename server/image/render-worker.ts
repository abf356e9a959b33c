/**
 * A render process of the pool (render-pool.ts): renders one plan at a time, sent over IPC, and answers
 * with the bytes or the error's message and code. It holds nothing the server needs: the pool kills it
 * (SIGKILL) when its client leaves or its time is up, and starts another. It exits when the server does
 * (the IPC channel closes).
 */
import { OpenFiles } from './open-files.js';
import { render, type RenderOptions } from './pipeline.js';
import type { ImagePlan } from './plan.js';
import type { StoredImage } from './source.js';

export interface RenderMessage {
  readonly id: number;
  readonly image: StoredImage;
  readonly plan: ImagePlan;
  readonly opts: RenderOptions;
}

export type RenderReply =
  | { readonly ready: true }
  /** The render has begun: a process that dies before saying so never had it (the pool gives it to another). */
  | { readonly id: number; readonly started: true }
  | { readonly id: number; readonly data: Uint8Array }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: string } };

const files = new OpenFiles(64);
const send = (reply: RenderReply) => process.send?.(reply);

process.on('message', (m: RenderMessage) => {
  send({ id: m.id, started: true });
  render(m.image, m.plan, m.opts, files).then(
    (data) => send({ id: m.id, data }),
    (err: unknown) => send({ id: m.id, error: { message: err instanceof Error ? err.message : String(err), code: (err as NodeJS.ErrnoException)?.code } }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ ready: true });
