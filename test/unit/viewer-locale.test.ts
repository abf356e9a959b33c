/**
 * The reading room speaks Vietnamese throughout: every key of Mirador 4's English interface has a
 * Vietnamese value of ours (viewer/src/locale-vi.js), not left in English, with the same placeholders.
 * Mirador's own `vi` locale is incomplete and partly wrong; ours replaces all of it.
 */
import { assert } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'mocha';
import { projectRoot } from '../../server/config.js';
// @ts-expect-error: plain JavaScript of the viewer bundle, no types
import { SAME_AS_ENGLISH, VI } from '../../viewer/src/locale-vi.js';

const locale = (lang: string) =>
  (JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', 'mirador', 'src', 'locales', lang, 'translation.json'), 'utf8')) as { translation: Record<string, string> }).translation;
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
const OURS = ['openCompanionWindow_vankhoReading'];

describe('the reading room in Vietnamese', () => {
  const en = locale('en');
  const vi = VI as Record<string, string>;

  it("has a Vietnamese value of ours for every key of Mirador's interface", () => {
    const missing = Object.keys(en).filter((k) => !vi[k]?.trim());
    assert.deepEqual(missing, [], 'keys without Vietnamese');
    const english = Object.keys(en).filter((k) => vi[k] === en[k] && !(SAME_AS_ENGLISH as string[]).includes(k));
    assert.deepEqual(english, [], 'keys left in English');
    const unknown = Object.keys(vi).filter((k) => !(k in en) && !OURS.includes(k));
    assert.deepEqual(unknown, [], 'keys Mirador does not have (a typo?)');
  });

  it('keeps the placeholders Mirador fills in', () => {
    for (const [k, v] of Object.entries(en)) assert.deepEqual(placeholders(vi[k] ?? ''), placeholders(v), k);
  });

  it('corrects what the shipped locale gets wrong', () => {
    const shipped = locale('vi');
    assert.strictEqual(shipped.zoomIn, 'Thu nhỏ', "Mirador's own: zoom in and out swapped (if this fails, Mirador fixed it: review ours)");
    assert.strictEqual(vi.zoomIn, 'Phóng to');
    assert.strictEqual(vi.zoomOut, 'Thu nhỏ');
    assert.strictEqual(vi.right, 'Bên phải', 'the thumbnails’ position, not a right (quyền)');
    assert.strictEqual(vi.bottom, 'Bên dưới');
    assert.strictEqual(vi.off, 'Tắt');
    for (const [k, v] of Object.entries(vi)) assert.notMatch(v, /khoản mục|Khoản mục|Móc nối|Co sập|Phòng tranh/, k);
    // The two pages of an opening are named in reading order: "left" would be wrong in a right-to-left book.
    for (const k of ['currentItem_1/2', 'currentItem_2/2', 'annotationCanvasLabel_1/2', 'annotationCanvasLabel_2/2']) assert.notMatch(vi[k]!, /trái|phải/i, k);
  });
});
