/** Rights URIs named as readers read them (presentation/rights.ts). */
import { assert } from 'chai';
import { describe, it } from 'mocha';
import { rightsName } from '../../server/presentation/rights.js';

describe('rights by name', () => {
  it('names every RightsStatements.org statement, in Vietnamese and English, with its badge code', () => {
    const codes = ['InC', 'InC-OW-EU', 'InC-EDU', 'InC-NC', 'InC-RUU', 'NoC-CR', 'NoC-NC', 'NoC-OKLR', 'NoC-US', 'CNE', 'UND', 'NKC'];
    for (const code of codes) {
      const n = rightsName(`http://rightsstatements.org/vocab/${code}/1.0/`);
      assert.ok(n, code);
      assert.strictEqual(n!.code, code);
      assert.notStrictEqual(n!.vi, n!.en, `${code}: Vietnamese of its own`);
    }
    assert.strictEqual(rightsName('https://rightsstatements.org/page/NoC-NC/1.0/')?.vi, 'Không còn bản quyền – chỉ dùng phi thương mại');
    assert.strictEqual(rightsName('http://rightsstatements.org/vocab/CNE/1.0/')?.kind, 'closed');
  });

  it('names Creative Commons licences and marks, any version and port', () => {
    assert.deepInclude(rightsName('http://creativecommons.org/licenses/by-nc-sa/4.0/'), { code: 'CC BY-NC-SA 4.0', vi: 'Creative Commons Ghi công – Phi thương mại – Chia sẻ tương tự 4.0', kind: 'limited' });
    assert.deepInclude(rightsName('https://creativecommons.org/licenses/by/3.0/vn/'), { code: 'CC BY 3.0', kind: 'free' });
    assert.deepInclude(rightsName('http://creativecommons.org/publicdomain/zero/1.0/'), { code: 'CC0 1.0', vi: 'Hiến tặng vào phạm vi công cộng' });
    assert.deepInclude(rightsName('http://creativecommons.org/publicdomain/mark/1.0/'), { code: 'PDM 1.0', vi: 'Thuộc phạm vi công cộng', kind: 'free' });
    assert.isNull(rightsName('http://creativecommons.org/licenses/xyz/4.0/'));
    assert.isNull(rightsName('https://example.org/rights'));
  });
});
