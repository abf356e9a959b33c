/**
 * GET /items/:id/reading?canvas=3,4&char=&at= — the reading room's reading panel: the OCR lines of the
 * pages the reader has open, each Han or Nôm character over its Vietnamese reading (ruby), line by line.
 * Mirador shows it in a side panel of its own (viewer/src/reading-room.js) and follows the page turns.
 *
 * Clicking a character shows, at the foot of the panel, its readings by source, its variants, its code
 * point and a search for it (han-char.ts charFacts), with the character marked in the text; the link
 * leads back to it. No script: each click is a link to this page with `char` and `at`. Links that
 * leave the text open a new tab: the panel lives in a frame inside the reader.
 */
import type { Archive } from '../archive/service.js';
import type { Identity } from '../auth/policy.js';
import { NotFoundError } from '../errors.js';
import { hanTextOf, isHanItem } from '../han/reading.js';
import { charFacts } from './han-char.js';
import { esc, t, type Lang } from './html.js';
import { accessNotice, rubyHtml } from './item-text.js';

const STYLE = `
  body { font-family: "Noto Serif", Georgia, serif; margin: 0; color: #222; background: #faf8f3; }
  main { padding: .5rem .8rem 40vh; }
  h2 { font-size: 1rem; margin: .8rem 0 .3rem; color: #5a1e14; }
  p.line { margin: 0; line-height: 2.6; overflow-wrap: anywhere; }
  ruby { font-size: 1.5em; margin: 0 .15em; }
  rt { font-size: .45em; color: #5a1e14; }
  ruby a { color: inherit; text-decoration: none; } ruby a:hover, ruby a:focus { background: #f4eedf; }
  ruby.sel { background: #ffe58a; outline: 2px solid #c9a227; }
  .note { color: #555; font-size: .8rem; }
  .card { position: fixed; left: 0; right: 0; bottom: 0; max-height: 45vh; overflow: auto; background: #fff; border-top: 2px solid #5a1e14; padding: .4rem .8rem; box-shadow: 0 -2px 6px rgba(0,0,0,.15); }
  .card .head { display: flex; flex-wrap: wrap; align-items: center; gap: .2rem .8rem; }
  .card .glyph { font-size: 2.6rem; line-height: 1.1; margin: 0; }
  .card .close { margin-left: auto; }
  /* The panel is narrow: each label above its value. */
  .card dl { font-size: .85rem; margin: .3rem 0; }
  .card dt { font-weight: bold; margin-top: .25rem; } .card dd { margin: 0; }
  .card .variants a { font-size: 1.3rem; margin-right: .4rem; text-decoration: none; }
  .card p { margin: .3rem 0; font-size: .85rem; }
`;

/** A place in the panel's text: the i-th Han character of a page's OCR line. */
export interface Place {
  readonly canvas: number;
  readonly line: number;
  readonly index: number;
}

export interface PanelRequest {
  /** The pages shown (1-based canvas positions), as the reader has them open: one, or two in book view. */
  readonly canvases: readonly number[];
  /** A character clicked, and where it is in the text. */
  readonly char?: string;
  readonly at?: Place;
}

const placeKey = (p: Place) => `${p.canvas}-${p.line}-${p.index}`;

interface Rendered {
  readonly status: number;
  readonly page: string;
}

function panelPage(lang: Lang, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Văn Khố</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

/** The panel for the pages asked. @throws NotFoundError (no item, a page it does not have, not Han or Nôm) */
export async function readingPanelPage(archive: Archive, who: Identity, id: string, lang: Lang, q: PanelRequest): Promise<Rendered> {
  const view = await archive.item(who, id);
  const { item, content } = view;
  const title = t('readingPanel', lang);
  // Closed content: why, and a sign-in that leaves the reader's frame. Nothing about its pages.
  if (content.effect === 'deny') return { status: who.user ? 403 : 401, page: panelPage(lang, title, accessNotice(who, item, lang, 'deny', '_top')) };
  if (!isHanItem(item)) throw new NotFoundError(`item ${item.id} is not written in Han or Nôm: it has no reading layer`, 'no_reading');
  for (const n of q.canvases) if (!item.canvases.some((c) => c.position === n)) throw new NotFoundError(`item "${item.id}" has no page ${n}`, 'unknown_canvas');
  const kind = hanTextOf(item);
  const canvasList = q.canvases.join(',');
  const here = (extra: string) => `/items/${encodeURIComponent(item.id)}/reading?canvas=${canvasList}&lang=${lang}${extra}`;
  const ocr = await archive.ocrOfPages(view, q.canvases);
  const sections: string[] = [];
  for (const n of q.canvases) {
    const page = ocr.get(n);
    const label = item.canvases.find((c) => c.position === n)?.label;
    const heading = `<h2>${esc(t('page', lang))} ${n}${label && label !== String(n) ? ` (${esc(label)})` : ''}</h2>`;
    if (!page || page.lines.length === 0) {
      sections.push(`<section>${heading}<p class="note">${esc(t('pageNoText', lang))}</p></section>`);
      continue;
    }
    const lines = page.lines.map((line, l) => {
      const key = (index: number) => placeKey({ canvas: n, line: l, index });
      const ruby = rubyHtml(line.text, kind, lang, {
        href: (ch, i) => `${here(`&char=${encodeURIComponent(ch)}&at=${key(i)}`)}#c${key(i)}`,
        id: (i) => `c${key(i)}`,
        ...(q.char && q.at && q.at.canvas === n && q.at.line === l ? { mark: { index: q.at.index, char: q.char } } : {}),
      });
      return `<p class="line" lang="${kind === 'nom' ? 'vi-Hani' : 'lzh'}">${ruby}</p>`;
    });
    sections.push(`<section>${heading}${lines.join('\n')}</section>`);
  }
  const card = q.char
    ? `<aside class="card" aria-label="${esc(t('character', lang))} ${esc(q.char)}">
<div class="head"><p class="glyph" lang="zh-Hani">${esc(q.char)}</p>
<a href="/han/${encodeURIComponent(q.char)}?lang=${lang}" target="_blank" rel="noopener">${esc(t('characterPage', lang))}</a>
<a class="close" href="${esc(here(''))}${q.at ? `#c${placeKey(q.at)}` : ''}">${esc(t('close', lang))}</a></div>
${charFacts(q.char, lang, '_blank')}
</aside>`
    : '';
  const body = `${sections.join('\n')}
<p class="note">${esc(t('readingsNote', lang))}</p>
${card}`;
  return { status: 200, page: panelPage(lang, title, body) };
}
