/**
 * Progress of an ingest for a person at a terminal (cli-progress bars: items, pages, current stage),
 * or plain log lines when the output is not a terminal (CI, cron, redirected to a file).
 */
import cliProgress from 'cli-progress';
import type { IngestPipeline, ProgressEvent } from './pipeline.js';

const STAGE_VI: Record<string, string> = { pyramid: 'tạo ảnh tầng', ocr: 'nhận dạng chữ', 'item-done': 'xong tài liệu' };

export function showProgress(pipeline: IngestPipeline, totals: { items: number; pages: number }, tty: boolean): () => void {
  let items = 0;
  let pages = 0;
  if (!tty) {
    const onEvent = (e: ProgressEvent) => {
      if (e.stage === 'item-done') items++;
      if (e.stage === 'ocr') pages++;
      console.log(`${e.itemId} ${e.stage === 'item-done' ? '' : `page ${e.page}/${e.pages} `}${e.stage} (items ${items}/${totals.items}, pages ${pages}/${totals.pages})`);
    };
    pipeline.events.on('progress', onEvent);
    return () => pipeline.events.off('progress', onEvent);
  }
  const bars = new cliProgress.MultiBar({ format: '{name} [{bar}] {value}/{total} {stage}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  const itemBar = bars.create(totals.items, 0, { name: 'Tài liệu / items', stage: '' });
  const pageBar = bars.create(totals.pages, 0, { name: 'Trang / pages  ', stage: '' });
  const onEvent = (e: ProgressEvent) => {
    const stage = `${e.itemId}: ${STAGE_VI[e.stage] ?? e.stage}`;
    if (e.stage === 'item-done') itemBar.increment(1, { stage });
    else if (e.stage === 'ocr') pageBar.increment(1, { stage });
    else pageBar.update({ stage });
  };
  pipeline.events.on('progress', onEvent);
  return () => {
    pipeline.events.off('progress', onEvent);
    bars.stop();
  };
}

/** Progress of `vankho image rebuild` (and `reindex`): one bar on a terminal, a line per image otherwise. */
export function rebuildProgress(total: number, tty: boolean, name = 'Ảnh / images'): { done(id: string, what: string): void; stop(): void } {
  if (!tty) {
    let n = 0;
    return { done: (id, what) => console.log(`${++n}/${total} ${id}: ${what}`), stop: () => undefined };
  }
  const bar = new cliProgress.SingleBar({ format: `${name} [{bar}] {value}/{total} {id}`, hideCursor: true }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { id: '' });
  return { done: (id) => bar.increment(1, { id }), stop: () => bar.stop() };
}
