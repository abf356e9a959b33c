/**
 * Rights statements by name: what RightsStatements.org's twelve statements and the Creative Commons
 * licences and marks are called in Vietnamese and English, with the short code their badges carry, so
 * that pages name a document's rights rather than show a URI. Unknown URIs are named by the URI itself.
 */
export interface RightsName {
  /** The badge's short code: "NoC-NC", "CC BY-SA 4.0", "CC0 1.0". */
  readonly code: string;
  readonly vi: string;
  readonly en: string;
  /** Free to use (public domain, CC0, a licence without NC/ND), limited, or in copyright / unknown. */
  readonly kind: 'free' | 'limited' | 'closed';
}

const STATEMENTS: Record<string, Omit<RightsName, 'code'>> = {
  InC: { vi: 'Có bản quyền', en: 'In Copyright', kind: 'closed' },
  'InC-OW-EU': { vi: 'Có bản quyền – tác phẩm mồ côi (EU)', en: 'In Copyright – EU Orphan Work', kind: 'closed' },
  'InC-EDU': { vi: 'Có bản quyền – được dùng cho giáo dục', en: 'In Copyright – Educational Use Permitted', kind: 'limited' },
  'InC-NC': { vi: 'Có bản quyền – được dùng phi thương mại', en: 'In Copyright – Non-Commercial Use Permitted', kind: 'limited' },
  'InC-RUU': { vi: 'Có bản quyền – không xác định hoặc không liên hệ được chủ sở hữu quyền', en: 'In Copyright – Rights-holder(s) Unlocatable or Unidentifiable', kind: 'closed' },
  'NoC-CR': { vi: 'Không còn bản quyền – có hạn chế theo hợp đồng', en: 'No Copyright – Contractual Restrictions', kind: 'limited' },
  'NoC-NC': { vi: 'Không còn bản quyền – chỉ dùng phi thương mại', en: 'No Copyright – Non-Commercial Use Only', kind: 'limited' },
  'NoC-OKLR': { vi: 'Không còn bản quyền – có hạn chế pháp lý khác', en: 'No Copyright – Other Known Legal Restrictions', kind: 'limited' },
  'NoC-US': { vi: 'Không còn bản quyền tại Hoa Kỳ', en: 'No Copyright – United States', kind: 'limited' },
  CNE: { vi: 'Chưa đánh giá bản quyền', en: 'Copyright Not Evaluated', kind: 'closed' },
  UND: { vi: 'Tình trạng bản quyền chưa xác định', en: 'Copyright Undetermined', kind: 'closed' },
  NKC: { vi: 'Không có bản quyền được biết đến', en: 'No Known Copyright', kind: 'limited' },
};

const LICENCES: Record<string, { vi: string; en: string }> = {
  by: { vi: 'Ghi công', en: 'Attribution' },
  'by-sa': { vi: 'Ghi công – Chia sẻ tương tự', en: 'Attribution-ShareAlike' },
  'by-nd': { vi: 'Ghi công – Không phái sinh', en: 'Attribution-NoDerivatives' },
  'by-nc': { vi: 'Ghi công – Phi thương mại', en: 'Attribution-NonCommercial' },
  'by-nc-sa': { vi: 'Ghi công – Phi thương mại – Chia sẻ tương tự', en: 'Attribution-NonCommercial-ShareAlike' },
  'by-nc-nd': { vi: 'Ghi công – Phi thương mại – Không phái sinh', en: 'Attribution-NonCommercial-NoDerivatives' },
};

/** The name of a rights URI (http or https form), or null when it is none we know. */
export function rightsName(uri: string): RightsName | null {
  const rs = /^https?:\/\/rightsstatements\.org\/(?:vocab|page)\/([A-Za-z-]+)\/1\.0\/?$/.exec(uri);
  if (rs && STATEMENTS[rs[1]!]) return { code: rs[1]!, ...STATEMENTS[rs[1]!]! };
  if (/^https?:\/\/creativecommons\.org\/publicdomain\/zero\/1\.0\/?$/.test(uri)) {
    return { code: 'CC0 1.0', vi: 'Hiến tặng vào phạm vi công cộng', en: 'Public Domain Dedication', kind: 'free' };
  }
  if (/^https?:\/\/creativecommons\.org\/publicdomain\/mark\/1\.0\/?$/.test(uri)) {
    return { code: 'PDM 1.0', vi: 'Thuộc phạm vi công cộng', en: 'Public Domain', kind: 'free' };
  }
  const cc = /^https?:\/\/creativecommons\.org\/licenses\/([a-z-]+)\/(\d\.\d)\/?(?:[a-z]{2}\/?)?$/.exec(uri);
  if (cc && LICENCES[cc[1]!]) {
    const l = LICENCES[cc[1]!]!;
    const limited = /nc|nd/.test(cc[1]!);
    return { code: `CC ${cc[1]!.toUpperCase()} ${cc[2]}`, vi: `Creative Commons ${l.vi} ${cc[2]}`, en: `Creative Commons ${l.en} ${cc[2]}`, kind: limited ? 'limited' : 'free' };
  }
  return null;
}
