/** Citations as reference managers and Vietnamese readers take them (presentation/citation.ts). */
import { assert } from 'chai';
import { describe, it } from 'mocha';
import type { Item } from '../../server/catalogue/catalogue.js';
import type { Library } from '../../server/catalogue/schema.js';
import { bibtex, cslJson, dayInVietnam } from '../../server/presentation/citation.js';

const library = { id: 'tv', parent: null, name: { vi: 'Thư viện tỉnh' } } as unknown as Library;
const item = (over: Partial<Item['description']>, kind = 'manuscript') =>
  ({ id: 'dia-ba', kind, description: { title: { vi: 'Địa bạ {xã} 50% & 1_2 ~ ^ \\ end', originalLanguage: 'lzh' }, creators: ['Nguyễn Du', 'Lê Quý Đôn'], languages: ['lzh'], ...over } }) as unknown as Item;

describe('citations', () => {
  it('gives the day consulted in Vietnam, not in UTC', () => {
    assert.strictEqual(dayInVietnam('2026-11-24T18:30:00Z'), '2026-11-25', '01:30 in Hà Nội is the 25th');
    assert.strictEqual(dayInVietnam('2026-11-24T16:59:00Z'), '2026-11-24');
  });

  it('writes BibTeX that BibTeX reads: names whole, specials as commands, a text date in the note', () => {
    const b = bibtex(item({ date: { text: 'Tự Đức năm thứ 5' } }), library, 'https://x/items/dia-ba', '2026-11-25T00:00:00Z');
    assert.include(b, 'author = {{Nguyễn Du} and {Lê Quý Đôn}}');
    assert.include(b, 'title = {{Địa bạ \\textbraceleft{}xã\\textbraceright{} 50\\% \\& 1\\_2 \\textasciitilde{} \\textasciicircum{} \\textbackslash{} end}}');
    assert.include(b, 'note = {Tự Đức năm thứ 5}');
    assert.notInclude(b, 'year =');
    assert.match(b, /^@misc\{dia-ba,/);
    // Braces balance: a stray one would swallow the rest of the file.
    const depth = [...b.replace(/\\textbrace(left|right)\{\}/g, '')].reduce((n, c) => n + (c === '{' ? 1 : c === '}' ? -1 : 0), 0);
    assert.strictEqual(depth, 0);
    assert.include(bibtex(item({ date: { text: '1820–1840', from: 1820, to: 1840 } }), library, 'u', '2026-11-25T00:00:00Z'), 'year = {1820--1840}');
  });

  it('gives CSL-JSON a year range as date-parts', () => {
    const [c] = cslJson(item({ date: { text: 'khoảng 1820–1840', from: 1820, to: 1840 } }), library, 'u', '2026-11-25T00:00:00Z');
    assert.deepEqual(c!.issued, { 'date-parts': [[1820], [1840]] });
    assert.deepEqual(c!.author, [{ literal: 'Nguyễn Du' }, { literal: 'Lê Quý Đôn' }]);
    assert.deepEqual(c!.accessed, { 'date-parts': [[2026, 11, 25]] });
  });
});
