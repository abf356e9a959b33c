/**
 * The text functions both search backends share (server/search/fold.ts, query.ts, match.ts), checked
 * as a reader would notice them: Vietnamese without diacritics, Han and Nôm (CJK Extension B, outside
 * the BMP), phrases across OCR line breaks, query syntax that must stay text, highlighted snippets.
 */
import { assert } from 'chai';
import { describe, it } from 'mocha';
import { fold, tokenize, type Token } from '../../server/search/fold.js';
import { matchesAll, occurrences, snippet, snippetHtml } from '../../server/search/match.js';
import { isEmpty, MAX_CLAUSES, MAX_QUERY_CHARS, parseQuery, type ParsedQuery, MAX_PHRASE_TOKENS, MAX_QUERY_TOKENS } from '../../server/search/query.js';

const exacts = (tokens: readonly Token[]) => tokens.map((t) => t.exact);
const foldeds = (tokens: readonly Token[]) => tokens.map((t) => t.folded);
/** Clauses as written: each clause's exact tokens joined by a space. */
const clauses = (q: ParsedQuery) => q.clauses.map((c) => c.tokens.map((t) => t.exact).join(' '));
/** A string with no lone surrogate (String.prototype.isWellFormed, Node 20). */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
/** UTF-16 units in hex, to show what a broken string holds. */
const units = (s: string) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i).toString(16)).join(' ');
const highlighted = (s: { text: string; highlights: readonly (readonly [number, number])[] }) => s.highlights.map(([a, b]) => s.text.slice(a, b));

describe('search text: fold', () => {
  it('folds Vietnamese to unaccented lower case, đ/Đ to d', () => {
    assert.strictEqual(fold('Đường'), 'duong');
    assert.strictEqual(fold('ĐẠI NAM THỰC LỤC'), 'dai nam thuc luc');
    assert.strictEqual(fold('Thư viện tỉnh và công cuộc số hoá di sản Hán Nôm'), 'thu vien tinh va cong cuoc so hoa di san han nom');
    assert.strictEqual(fold('Ưu ơ Ơ ư'), 'uu o o u');
    for (const w of ['ma', 'má', 'mà', 'mả', 'mã', 'mạ', 'MÃ']) assert.strictEqual(fold(w), 'ma', w);
  });

  it('folds NFD like NFC', () => {
    for (const s of ['Địa bạ làng Đông Ngạc', 'Hương ước làng Mộ Trạch', 'tập huấn', 'Ỷ Lan']) {
      assert.strictEqual(fold(s.normalize('NFD')), fold(s), s);
    }
  });

  it('leaves Han and Nôm as they are', () => {
    for (const s of ['大南寔錄', '人之初性本善', '𤾓𢆥𥪞𡎝𠊛些']) assert.strictEqual(fold(s), s);
  });
});

describe('search text: tokenize', () => {
  it('reads Vietnamese words with both forms and their offsets', () => {
    const text = 'Địa bạ làng Đông Ngạc.';
    const tokens = tokenize(text);
    assert.deepEqual(exacts(tokens), ['địa', 'bạ', 'làng', 'đông', 'ngạc']);
    assert.deepEqual(foldeds(tokens), ['dia', 'ba', 'lang', 'dong', 'ngac']);
    assert.deepEqual(
      tokens.map((t) => text.slice(t.start, t.end)),
      ['Địa', 'bạ', 'làng', 'Đông', 'Ngạc'],
    );
    assert.isTrue(tokens.every((t) => !t.han));
  });

  it('tokenises NFD input like NFC once normalised, as its callers do (folded forms even before)', () => {
    const nfc = 'Đội ngũ cán bộ được tập huấn về bảo quản tài liệu cổ.';
    const nfd = nfc.normalize('NFD');
    assert.notStrictEqual(nfd, nfc);
    assert.deepEqual(exacts(tokenize(nfd.normalize('NFC'))), exacts(tokenize(nfc)));
    // Unnormalised NFD still splits into the same words with the same folded forms.
    assert.deepEqual(foldeds(tokenize(nfd)), foldeds(tokenize(nfc)));
    // parseQuery and snippet normalise themselves.
    assert.deepEqual(parseQuery(nfd).clauses, parseQuery(nfc).clauses);
    assert.strictEqual(parseQuery(nfd).text, nfc);
  });

  it('splits Han into one token per code point, BMP and Extension B alike, never half a surrogate pair', () => {
    const bmp = tokenize('人之初性本善');
    assert.deepEqual(exacts(bmp), ['人', '之', '初', '性', '本', '善']);
    assert.isTrue(bmp.every((t) => t.han && t.folded === t.exact));

    // Trăm năm trong cõi người ta: five Extension B characters and one BMP one.
    const text = '𤾓𢆥𥪞𡎝𠊛些';
    assert.strictEqual(text.length, 11, 'UTF-16 units');
    const nom = tokenize(text);
    assert.strictEqual(nom.length, 6);
    assert.deepEqual(exacts(nom), ['𤾓', '𢆥', '𥪞', '𡎝', '𠊛', '些']);
    for (const t of nom) {
      assert.isTrue(t.han, t.exact);
      assert.strictEqual(Array.from(t.exact).length, 1, `${t.exact} is one code point`);
      assert.isTrue(wellFormed(t.exact), `${units(t.exact)} is well formed`);
      assert.strictEqual(text.slice(t.start, t.end), t.exact);
    }
    assert.strictEqual(nom[3]!.exact.codePointAt(0), 0x2139d, '𡎝 U+2139D');

    const first = tokenize('𠀀');
    assert.strictEqual(first.length, 1);
    assert.strictEqual(first[0]!.exact.codePointAt(0), 0x20000, '𠀀 U+20000, the first of Extension B');
    assert.strictEqual(first[0]!.end - first[0]!.start, 2);
  });

  it('splits Han out of a mixed line and keeps the Vietnamese words whole', () => {
    const tokens = tokenize('人之初 — Nhân chi sơ: 𡎝 cõi');
    assert.deepEqual(exacts(tokens), ['人', '之', '初', 'nhân', 'chi', 'sơ', '𡎝', 'cõi']);
    assert.deepEqual(
      tokens.map((t) => t.han),
      [true, true, true, false, false, false, true, false],
    );
  });

  it('reads a word hyphenated across a line break as one token', () => {
    const text = 'woodblock prints for digi-\ntisation in 2018';
    const tokens = tokenize(text);
    assert.deepEqual(exacts(tokens), ['woodblock', 'prints', 'for', 'digitisation', 'in', '2018']);
    const t = tokens[3]!;
    assert.strictEqual(text.slice(t.start, t.end), 'digi-\ntisation');
    // Also with CRLF and trailing spaces.
    assert.deepEqual(exacts(tokenize('digi- \r\n  tisation')), ['digitisation']);
    // Not a line-break hyphen: a hyphen inside a line, or before a capital (a new name), separates.
    assert.deepEqual(exacts(tokenize('Hà-Nội')), ['hà', 'nội']);
    assert.deepEqual(exacts(tokenize('Kim Vân-\nKiều')), ['kim', 'vân', 'kiều']);
  });

  it('finds a Vietnamese compound hyphenated at a line end (old orthography: thư-viện) as its two words', () => {
    // Vietnamese splits no syllable at a line end: "thư-\nviện" is the compound thư-viện, which mid-line
    // reads as two words. At a line end it must too, or "thư viện" misses it where it finds "thư-viện".
    const mid = tokenize('Hệ thống quản lý thư-viện mới');
    const end = tokenize('Hệ thống quản lý thư-\nviện mới');
    assert.isTrue(matchesAll(mid, parseQuery('"thư viện mới"')), 'mid-line');
    assert.isTrue(matchesAll(end, parseQuery('"thư viện mới"')), 'at a line end');
  });

  it('keeps a variation selector with its Han character, never a token of its own', () => {
    // Nôm editions mark glyph variants with Ideographic Variation Sequences (U+E0100…) or standard
    // variation selectors (U+FE00…): marks, but not diacritics to fold into a token of their own.
    for (const vs of ['\u{E0100}', '\uFE00']) {
      const tokens = tokenize(`𡎝${vs}人`);
      assert.deepEqual(
        tokens.map((t) => [t.han, t.folded.replace(vs, '')]),
        [
          [true, '𡎝'],
          [true, '人'],
        ],
        `U+${vs.codePointAt(0)!.toString(16).toUpperCase()}: ${JSON.stringify(tokens)}`,
      );
      assert.isTrue(matchesAll(tokens, parseQuery(`𡎝${vs}`)), 'the query with the selector finds the text with it');
    }
  });

  it('makes no token without a folded form (a stray combining mark)', () => {
    for (const text of ['\u0301', 'a \u0301 b', '\u0300\u0301']) {
      const tokens = tokenize(text);
      assert.isTrue(
        tokens.every((t) => t.folded.length > 0),
        `${JSON.stringify(text)}: ${JSON.stringify(tokens)}`,
      );
    }
  });

  it('keeps a phrase across an OCR line break (no hyphen) as two adjacent tokens', () => {
    const tokens = tokenize('tham gia công\ncuộc chuyển đổi số');
    assert.deepEqual(exacts(tokens), ['tham', 'gia', 'công', 'cuộc', 'chuyển', 'đổi', 'số']);
    assert.isTrue(matchesAll(tokens, parseQuery('"công cuộc"')));
    assert.isFalse(matchesAll(tokens, parseQuery('"cuộc công"')));
  });

  it('treats punctuation and query syntax as separators', () => {
    assert.deepEqual(exacts(tokenize('tieude:"Hán Nôm" AND (địa OR bạ) NEAR/3 ^2 -bansao *')), [
      'tieude',
      'hán',
      'nôm',
      'and',
      'địa',
      'or',
      'bạ',
      'near',
      '3',
      '2',
      'bansao',
    ]);
    assert.deepEqual(tokenize('" * ( ) : ^ - … — ,.;!?'), []);
  });
});

describe('search text: parseQuery', () => {
  it('makes each unquoted word a clause', () => {
    assert.deepEqual(clauses(parseQuery('nhan chi so')), ['nhan', 'chi', 'so']);
    assert.deepEqual(clauses(parseQuery('  Nhân   CHI sơ  ')), ['nhân', 'chi', 'sơ']);
  });

  it('makes a quoted part one phrase clause', () => {
    const q = parseQuery('"nhân chi sơ"');
    assert.strictEqual(q.clauses.length, 1);
    assert.deepEqual(exacts(q.clauses[0]!.tokens), ['nhân', 'chi', 'sơ']);
    assert.deepEqual(clauses(parseQuery('Tam tự kinh "nhân chi sơ" 1900')), ['tam', 'tự', 'kinh', 'nhân chi sơ', '1900']);
    assert.deepEqual(clauses(parseQuery('"a b" "c d"')), ['a b', 'c d']);
  });

  it('reads an unmatched quote as a separator', () => {
    assert.deepEqual(clauses(parseQuery('nhân "chi sơ')), ['nhân', 'chi', 'sơ']);
    assert.deepEqual(clauses(parseQuery('nhân"chi')), ['nhân', 'chi']);
    assert.deepEqual(clauses(parseQuery('"a b" "c')), ['a', 'b', 'c']);
    assert.isTrue(isEmpty(parseQuery('"')));
    assert.isTrue(isEmpty(parseQuery('""')));
    assert.isTrue(isEmpty(parseQuery('"""')));
  });

  it('reads a run of Han as one phrase clause', () => {
    const q = parseQuery('人之初');
    assert.strictEqual(q.clauses.length, 1);
    assert.deepEqual(exacts(q.clauses[0]!.tokens), ['人', '之', '初']);
    assert.deepEqual(clauses(parseQuery('大南寔錄')), ['大 南 寔 錄']);
    assert.deepEqual(clauses(parseQuery('𤾓𢆥')), ['𤾓 𢆥']);
    // Han pasted from vertical OCR has line breaks between characters: still one run.
    assert.deepEqual(clauses(parseQuery('人之\n初')), ['人 之 初']);
    assert.deepEqual(clauses(parseQuery('人 之')), ['人 之'], 'white space alone does not end a run');
    assert.deepEqual(clauses(parseQuery('"人" 之')), ['人', '之'], 'quotes do');
  });

  it('splits Han from Vietnamese: 人 chi sơ is three clauses', () => {
    assert.deepEqual(clauses(parseQuery('人 chi sơ')), ['人', 'chi', 'sơ']);
    assert.deepEqual(clauses(parseQuery('大南 thực lục')), ['大 南', 'thực', 'lục']);
    assert.deepEqual(clauses(parseQuery('人之初nhân chi')), ['人 之 初', 'nhân', 'chi']);
    assert.deepEqual(clauses(parseQuery('人 chi 之')), ['人', 'chi', '之']);
  });

  it('takes FTS5 and Elasticsearch syntax characters as separators', () => {
    for (const c of ['"', '*', '(', ')', ':', '^', '-', '~', '+', '!', '/', '\\', '[', ']', '{', '}', '|', '&', "'", '?']) {
      assert.deepEqual(clauses(parseQuery(`alpha${c}beta`)), ['alpha', 'beta'], `alpha${c}beta`);
      assert.deepEqual(clauses(parseQuery(`${c}alpha ${c}${c}`)), ['alpha'], `${c}alpha ${c}${c}`);
    }
    assert.deepEqual(clauses(parseQuery('title:"Hán Nôm"')), ['title', 'hán nôm']);
    assert.deepEqual(clauses(parseQuery('thư* (viện) ^2 -bản')), ['thư', 'viện', '2', 'bản']);
    assert.isTrue(isEmpty(parseQuery('" * ( ) : ^ -')));
  });

  it('takes NEAR, AND, OR and NOT as ordinary words', () => {
    assert.deepEqual(clauses(parseQuery('nhân AND chi OR sơ NOT thiện')), ['nhân', 'and', 'chi', 'or', 'sơ', 'not', 'thiện']);
    assert.deepEqual(clauses(parseQuery('NEAR(địa bạ, 3)')), ['near', 'địa', 'bạ', '3']);
    assert.deepEqual(clauses(parseQuery('AND')), ['and']);
    assert.deepEqual(clauses(parseQuery('"scan OR print"')), ['scan or print']);
  });

  it('drops repeated clauses', () => {
    assert.deepEqual(clauses(parseQuery('thư viện thư VIỆN')), ['thư', 'viện']);
    // Different diacritics are different clauses (both match the same folded word).
    assert.deepEqual(clauses(parseQuery('ma mã')), ['ma', 'mã']);
  });

  it('parses a 1 000-character query', () => {
    const vi = ('Đại Nam thực lục '.repeat(58) + '.'.repeat(14)).slice(0, MAX_QUERY_CHARS);
    assert.strictEqual(vi.length, 1000);
    assert.deepEqual(clauses(parseQuery(vi)), ['đại', 'nam', 'thực', 'lục']);

    const han = '人之初性本善'.repeat(167).slice(0, 1000);
    const hq = parseQuery(han);
    assert.strictEqual(hq.clauses.length, 1, 'one run of Han');
    // A phrase searches on its first MAX_PHRASE_TOKENS characters: a pasted page costs no more.
    assert.strictEqual(hq.clauses[0]!.tokens.map((t) => t.exact).join(''), han.slice(0, MAX_PHRASE_TOKENS));

    const nom = '𤾓𢆥'.repeat(250);
    assert.strictEqual(nom.length, 1000);
    assert.strictEqual(parseQuery(nom).clauses[0]!.tokens.length, MAX_PHRASE_TOKENS, 'code points, not UTF-16 units');

    const junk = Array.from({ length: 1000 }, (_, i) => '"*():^- aé人𡎝\u0301'[i % 14]).join('');
    assert.strictEqual(junk.length, 1000);
    const jq = parseQuery(junk);
    assert.isAtMost(jq.clauses.length, MAX_CLAUSES);
    // Many phrases: the whole query keeps at most MAX_QUERY_TOKENS tokens.
    const phrases = Array.from({ length: 20 }, (_, i) => `"${'人之初性本善'.repeat(3)}${i}"`).join(' ');
    assert.strictEqual(parseQuery(phrases).clauses.reduce((n, c) => n + c.tokens.length, 0), MAX_QUERY_TOKENS);
  });

  it(`keeps at most MAX_CLAUSES (${MAX_CLAUSES}) clauses, the first ones`, () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`);
    const q = parseQuery(words.join(' '));
    assert.strictEqual(q.clauses.length, MAX_CLAUSES);
    assert.deepEqual(clauses(q), words.slice(0, MAX_CLAUSES));
  });

  it('answers an empty query with no clauses', () => {
    for (const s of ['', '   ', '\n\t', '…', '— , .']) assert.isTrue(isEmpty(parseQuery(s)), JSON.stringify(s));
    assert.isFalse(isEmpty(parseQuery('a')));
    assert.isFalse(isEmpty(parseQuery('人')));
  });
});

describe('search text: occurrences', () => {
  const text = 'Tam tự kinh: Nhân chi sơ, tính bản thiện. Nhan chi so.';
  const tokens = tokenize(text);

  it('finds a phrase on folded forms and marks exact ones', () => {
    const occ = occurrences(tokens, parseQuery('"nhân chi sơ"'));
    assert.deepEqual(
      occ.map((o) => [o.from, o.to, o.exact]),
      [
        [3, 6, true],
        [9, 12, false],
      ],
    );
  });

  it('keeps the order of a phrase', () => {
    assert.deepEqual(occurrences(tokens, parseQuery('"chi nhân"')), []);
    assert.isFalse(matchesAll(tokens, parseQuery('"chi nhân"')));
    assert.isTrue(matchesAll(tokens, parseQuery('chi nhân')));
  });

  it('prefers the longest clause at a position and does not overlap', () => {
    const occ = occurrences(tokens, parseQuery('nhân "nhân chi sơ" chi'));
    assert.deepEqual(
      occ.map((o) => [o.from, o.to]),
      [
        [3, 6],
        [9, 12],
      ],
    );
  });

  it('matches Extension B code points exactly, never a neighbour sharing a surrogate', () => {
    const nom = tokenize('\u{213E7}\u{2179D} 𡎝');
    const occ = occurrences(nom, parseQuery('𡎝'));
    assert.deepEqual(
      occ.map((o) => [o.from, o.to]),
      [[2, 3]],
    );
  });

  it('requires every clause for matchesAll', () => {
    assert.isTrue(matchesAll(tokens, parseQuery('kinh thien')));
    assert.isFalse(matchesAll(tokens, parseQuery('kinh 人')));
  });
});

describe('search text: snippet', () => {
  it('highlights the matched words in a window around the first hit', () => {
    const before = 'Lời nói đầu. '.repeat(30);
    const after = ' Các thư viện huyện gửi tài liệu về tỉnh.'.repeat(10);
    const text = `${before}Thư viện tỉnh và công\ncuộc số hoá di sản Hán Nôm.${after}`;
    const s = snippet(text, parseQuery('"công cuộc" Hán'), 160);
    assert.isAtMost(s.text.length, 160 + 2 + 20 + 2);
    assert.isTrue(s.text.startsWith('…'));
    assert.isTrue(s.text.endsWith('…'));
    assert.include(highlighted(s), 'công cuộc', 'the phrase across the line break, the break as a space');
    assert.include(highlighted(s), 'Hán');
    assert.notInclude(s.text, '\n');
    for (const h of highlighted(s)) assert.isTrue(['công cuộc', 'Hán'].includes(h), h);
  });

  it('highlights folded and exact matches as written in the text', () => {
    const s = snippet('Sáu thanh điệu: ma, má, mà, mả, mã, mạ.', parseQuery('mã'));
    assert.deepEqual(highlighted(s), ['ma', 'má', 'mà', 'mả', 'mã', 'mạ']);
    const d = snippet('Con đường đến trường. Mr Duong.', parseQuery('DUONG'));
    assert.deepEqual(highlighted(d), ['đường', 'Duong']);
  });

  it('centres on an exact match before an earlier folded one', () => {
    const text = `ma ${'x '.repeat(200)}mã ${'y '.repeat(200)}`;
    const s = snippet(text, parseQuery('mã'), 60);
    assert.include(highlighted(s), 'mã');
  });

  it('highlights every hit inside the window, as a search of the whole text finds them', () => {
    // A snippet stops looking past its window once it has an exact hit: nothing it shows may be missed.
    // Lines too: a snippet reads a page's first lines alone when its window is settled within them.
    const texts = [
      `${'ma x '.repeat(20)}mã ${'má mã y '.repeat(60)}`,
      '人之初性本善性相近習相遠'.repeat(30),
      `${'天地 '.repeat(5)}thiên địa ${'天地玄黃 '.repeat(40)}`,
      `${'Lời nói đầu ma.\n'.repeat(12)}thư viện mã\n${'má mã y digi-\ntisation\n'.repeat(30)}`,
      `${'人之初性本善\n'.repeat(30)}天地玄黃\n${'性相近\n'.repeat(30)}`,
      `${'x '.repeat(230)}digi-\ntisation mã ${'y '.repeat(100)}\n${'z\n'.repeat(100)}`,
      // A folded hit in the first lines, the exact one far below; an exact one where the first lines end.
      `ma\n${'x\n'.repeat(300)}mã má\n${'y\n'.repeat(50)}`,
      `${'x\n'.repeat(89)}mã\nmã mã\n${'y\n'.repeat(100)}`,
    ];
    for (const text of texts) {
      for (const q of ['mã', 'ma', '性', 'thien dia', '"天地" huyền', 'nhan chi', 'digitisation', 'huyen hoang']) {
        for (const width of [20, 60, 160]) {
          const s = snippet(text, parseQuery(q), width);
          const tokens = tokenize(text);
          const shown = s.text.replace(/^…|…$/g, '');
          const from = text.replace(/\s/g, ' ').indexOf(shown);
          const all = occurrences(tokens, parseQuery(q))
            .map((o) => [tokens[o.from]!.start - from, tokens[o.to - 1]!.end - from] as const)
            .filter(([a, b]) => a >= 0 && b <= shown.length)
            .map(([a, b]) => shown.slice(a, b));
          assert.deepEqual(highlighted(s), all, `${q} at width ${width}`);
          // Around the first exact hit, wherever it is.
          const exact = occurrences(tokens, parseQuery(q)).find((o) => o.exact);
          if (exact) assert.include(highlighted(s), text.slice(tokens[exact.from]!.start, tokens[exact.to - 1]!.end).replace(/\s/g, ' '), `${q} at width ${width}: the exact hit`);
        }
      }
    }
  });

  it('highlights NFD text in its NFC form', () => {
    const s = snippet('Đội ngũ cán bộ được tập huấn\nvề bảo quản tài liệu cổ.'.normalize('NFD'), parseQuery('tap huan'));
    assert.deepEqual(highlighted(s), ['tập', 'huấn']);
  });

  it('highlights Han and Extension B characters', () => {
    // Quoted: unquoted Han separated only by white space would be one run (see parseQuery).
    const s = snippet('𤾓𢆥𥪞𡎝𠊛些\n𡦂才𡦂命窖羅恄饒', parseQuery('"𥪞𡎝" 命'));
    assert.deepEqual(highlighted(s), ['𥪞𡎝', '命']);
    const h = snippet('人之初\n性本善', parseQuery('之初性'));
    assert.deepEqual(highlighted(h), ['之初\n性'.replace('\n', ' ')]);
  });

  it('highlights a word hyphenated across a line break', () => {
    const s = snippet('scanned for digi-\ntisation in 2018', parseQuery('digitisation'));
    assert.deepEqual(highlighted(s), ['digi- tisation']);
  });

  it('starts at the beginning, with nothing highlighted, when the query does not occur', () => {
    const s = snippet('Lời nói đầu. '.repeat(40), parseQuery('khoảnh'), 80);
    assert.deepEqual(s.highlights, []);
    assert.isTrue(s.text.startsWith('Lời nói đầu.'));
    assert.isTrue(s.text.endsWith('…'));
  });

  it('never cuts a surrogate pair, at any width and position', () => {
    const nom = '𤾓𢆥𥪞𡎝𠊛些𡦂才𡦂命窖羅恄饒𢆥𠀧𤾓𠀀';
    const texts = [nom.repeat(30), `${nom.repeat(10)} ${nom.repeat(10)}\n${nom.repeat(10)}`, `${'a '.repeat(50)}${nom.repeat(20)}`];
    for (const text of texts) {
      for (const q of ['𡎝', '𠀀', '窖羅', 'a']) {
        for (let width = 1; width <= 200; width += 7) {
          const s = snippet(text, parseQuery(q), width);
          assert.isTrue(wellFormed(s.text), `width ${width}, query ${q}: ${units(s.text.slice(0, 8))}…${units(s.text.slice(-8))}`);
          for (const h of highlighted(s)) {
            assert.isTrue(wellFormed(h), `highlight ${units(h)}`);
            assert.deepEqual(
              tokenize(h).map((t) => t.folded),
              parseQuery(q).clauses[0]!.tokens.map((t) => t.folded),
            );
          }
        }
      }
    }
  });

  it('renders as escaped HTML with <mark>', () => {
    const s = snippet('a <b> & công\ncuộc', parseQuery('"công cuộc"'));
    const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    assert.strictEqual(snippetHtml(s, esc), 'a &lt;b&gt; &amp; <mark>công cuộc</mark>');
  });
});
