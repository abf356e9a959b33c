/**
 * ALTO XML → lines and words with boxes, in the coordinates of the page image OCR'd (which is the
 * canvas: OCR runs on the pyramid's full level). Stored as JSON beside the ALTO; the presentation
 * layer turns it into Web Annotations.
 */
import { XMLParser } from 'fast-xml-parser';
import { wordJoiner, type Box, type OcrLine, type OcrPage } from '../storage/layout.js';

export type { OcrPage };

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['TextLine', 'String', 'TextBlock', 'ComposedBlock', 'Page'].includes(name) });

type Node = Record<string, unknown>;

const num = (v: unknown) => Math.round(Number(v ?? 0));
const box = (n: Node): Box => ({ x: num(n.HPOS), y: num(n.VPOS), w: num(n.WIDTH), h: num(n.HEIGHT) });

/** Every TextLine under a node, however deeply blocks nest. */
function linesUnder(node: unknown, out: Node[] = []): Node[] {
  if (Array.isArray(node)) {
    for (const n of node) linesUnder(n, out);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Node)) {
      if (key === 'TextLine') out.push(...(value as Node[]));
      else if (typeof value === 'object') linesUnder(value, out);
    }
  }
  return out;
}

export function parseAlto(xml: string, language: string): OcrPage {
  const doc = parser.parse(xml) as Node;
  const page = ((((doc.alto as Node | undefined)?.Layout as Node | undefined)?.Page as Node[] | undefined) ?? [])[0];
  if (!page) throw new Error('ALTO has no Page');
  const lines = linesUnder(page).map((l): OcrLine => {
    const words = ((l.String as Node[] | undefined) ?? []).map((s) => ({
      ...box(s),
      text: String(s.CONTENT ?? ''),
      confidence: s.WC === undefined ? null : Number(s.WC),
    }));
    // Han text has no spaces between characters; Latin words are separated by one.
    return { ...box(l), words, text: words.map((w) => w.text).join(wordJoiner(language)) };
  });
  return { width: num(page.WIDTH), height: num(page.HEIGHT), language, lines: lines.filter((l) => l.text.trim() !== '') };
}

export function pageText(page: OcrPage): string {
  return page.lines.map((l) => l.text).join('\n');
}
