/**
 * GET /han/:char — one Han or Nôm character as the table knows it: its readings by source, its
 * variants, its code point, and links to search the collection for it and by each of its readings.
 * What a reader reaches by clicking a character in the text with readings (item-text.ts) and in the
 * reading room's reading panel.
 */
import { characterInfo } from '../han/table.js';
import { NotFoundError } from '../errors.js';
import { isHan } from '../search/fold.js';
import { esc, layout, t, type Lang } from './html.js';

const codePoint = (ch: string) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

export const CHAR_STYLE = `
  .han-char .glyph { font-size: 5rem; line-height: 1.2; margin: .2rem 0; }
  .han-char dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
  .han-char dt { font-weight: bold; } .han-char dd { margin: 0; }
  /* On a phone each label above its value: side by side the values had a column a word wide. */
  @media (max-width: 40rem) { .han-char dl { grid-template-columns: 1fr; gap: 0; } .han-char dd { margin-bottom: .5rem; } }
  .han-char .variants a { font-size: 1.6rem; margin-right: .5rem; text-decoration: none; }
`;

/** The character named by the route, one code point (a variation selector after it is dropped). @throws NotFoundError */
export function parseHanChar(raw: string): string {
  const chars = Array.from(raw.normalize('NFC'));
  const ch = chars[0] ?? '';
  if (chars.length < 1 || chars.length > 2 || !isHan(ch) || (chars.length === 2 && !/\p{M}/u.test(chars[1] as string))) {
    throw new NotFoundError('not one Han character');
  }
  return ch;
}

/**
 * What the table knows of a character, as a definition list: code point, readings by source (each a
 * search by it), variants and specialised variants (each a link to its page), and a search for it.
 * `target` opens the links elsewhere (the reading room's panel opens them in a new tab, not in itself).
 */
export function charFacts(ch: string, lang: Lang, target?: '_blank'): string {
  const e = characterInfo(ch);
  const tgt = target ? ` target="${target}" rel="noopener"` : '';
  const searchLink = (q: string) => `<a href="/search?q=${encodeURIComponent(q)}&amp;lang=${lang}"${tgt}>${esc(q)}</a>`;
  const readings = (list: readonly string[] | undefined) => (list && list.length > 0 ? list.map(searchLink).join(', ') : `<span class="none">${t('noReading', lang)}</span>`);
  const charLinks = (list: readonly string[] | undefined) =>
    list && list.length > 0 ? list.map((v) => `<a href="/han/${encodeURIComponent(v)}?lang=${lang}" lang="zh-Hani"${tgt}>${esc(v)}</a>`).join('') : '—';
  return `<dl>
<dt>${t('codePoint', lang)}</dt><dd><code>${codePoint(ch)}</code></dd>
<dt>${t('readingHanViet', lang)}</dt><dd>${readings(e?.hanviet)}</dd>
<dt>${t('readingUnihan', lang)}</dt><dd>${readings(e?.unihan)}</dd>
<dt>${t('readingNom', lang)}</dt><dd>${readings([...new Set([...(e?.nom ?? []), ...(e?.hueNom ?? [])])])}</dd>
<dt>${t('variants', lang)}</dt><dd class="variants">${charLinks(e?.variants)}</dd>
<dt>${t('specialisedVariants', lang)}</dt><dd class="variants">${charLinks(e?.specialised)}</dd>
</dl>
<p><a href="/search?q=${encodeURIComponent(ch)}&amp;lang=${lang}"${tgt}>${esc(t('searchCharacter', lang).replace('{c}', ch))}</a></p>`;
}

export function hanCharPage(ch: string, lang: Lang): string {
  const body = `<article class="han-char">
<h1>${esc(t('character', lang))} <span lang="zh-Hani">${esc(ch)}</span></h1>
<p class="glyph" lang="zh-Hani">${esc(ch)}</p>
${charFacts(ch, lang)}
<p><small>${esc(t('charSources', lang))}</small></p>
</article>`;
  return layout({ title: `${t('character', lang)} ${ch} ${codePoint(ch)}`, lang, body, style: CHAR_STYLE, path: `/han/${encodeURIComponent(ch)}` });
}
