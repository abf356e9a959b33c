/**
 * Character error rate of OCR text against ground truth (shared by the ingest tests and bench/ingest.ts).
 */

/** Levenshtein distance over code points. */
function distance(a: string[], b: string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export function cer(ocr: string, truth: string, han = false): number {
  const norm = (s: string) => (han ? s.normalize('NFC').replace(/\s+/g, '') : s.normalize('NFC').replace(/\s+/g, ' ').trim());
  const t = [...norm(truth)];
  return distance([...norm(ocr)], t) / t.length;
}
