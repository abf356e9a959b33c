/**
 * How Han and Nôm text reads in Vietnamese (server/han/reading.ts): what the reading layer and the
 * full-text view show for a line, in Literary Chinese and in Nôm, and which items have a reading layer.
 */
import { assert } from 'chai';
import { describe, it } from 'mocha';
import { hanTextOf, isHanItem, readingText, segments } from '../../server/han/reading.js';
import { readingsOf } from '../../server/han/table.js';

const item = (languages: string[], scripts: string[]) => ({ description: { languages, scripts } }) as unknown as Parameters<typeof isHanItem>[0];

describe('Han text read in Vietnamese', () => {
  it('reads Literary Chinese by its Sino-Vietnamese readings, a syllable per character', () => {
    // 本: bản shown; bổn (as the South reads it) is found by search too.
    assert.strictEqual(readingText('人之初性本善', 'han'), 'nhân chi sơ tính bản thiện');
    assert.includeMembers([...readingsOf('本')], ['bản', 'bổn']);
    assert.strictEqual(readingText('黃辰雨', 'han'), 'hoàng thìn vũ', 'none of them in Unihan’s kVietnamese');
    assert.strictEqual(readingText('人之初 — Nhân chi sơ:', 'han'), 'nhân chi sơ — Nhân chi sơ:', 'other text as it is');
  });

  it('reads Nôm by its usual Nôm reading where the curated list has one', () => {
    assert.strictEqual(readingText('𤾓𢆥𥪞𡎝𠊛些', 'nom'), 'trăm năm trong cõi người ta');
    assert.strictEqual(readingText('之', 'nom'), 'gì', 'Nôm: gì');
    assert.strictEqual(readingText('之', 'han'), 'chi', 'Hán: chi');
  });

  it('reads a Hán text by its Sino-Vietnamese reading before Unihan’s (which is often the Nôm one), and a character with none as it is', () => {
    assert.strictEqual(readingText('東', 'han'), 'đông', 'Unihan: hốc đông');
    assert.strictEqual(readingText('主', 'han'), 'chủ', 'Unihan: chúa');
    assert.strictEqual(readingText('主', 'nom'), 'chúa', 'in Nôm, Unihan’s');
    assert.strictEqual(readingText('葛藤㐀', 'han'), 'cát đằng 㐀');
  });

  it('keeps a variation selector with its character, and reads it as the character', () => {
    const s = segments('人\u{E0100}之', 'han');
    assert.deepEqual(s, [{ han: '人\u{E0100}', readings: ['nhân'] }, { han: '之', readings: ['chi'] }]);
  });

  it('knows which items are written in Han or Nôm, and how their characters read (by script, as OCR does)', () => {
    assert.isTrue(isHanItem(item(['lzh'], ['han'])));
    assert.isTrue(isHanItem(item(['vi'], ['nom'])));
    assert.isTrue(isHanItem(item(['lzh'], [])), 'Literary Chinese with no script');
    assert.isFalse(isHanItem(item(['vi'], ['latn'])));
    assert.isFalse(isHanItem(item(['tyz'], ['tay-nom'])), 'Tày Nôm reads in Tày, not in Vietnamese');
    assert.strictEqual(hanTextOf(item(['lzh'], ['han'])), 'han');
    assert.strictEqual(hanTextOf(item(['vi'], ['nom'])), 'nom');
    assert.strictEqual(hanTextOf(item(['lzh', 'vi'], ['han'])), 'han', 'the script decides, not the languages');
    assert.strictEqual(hanTextOf(item(['vi', 'lzh'], ['han', 'nom'])), 'nom');
  });
});
