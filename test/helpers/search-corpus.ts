/**
 * A small catalogue for the search behaviour suite (test/unit/search-behaviour.test.ts), the same for
 * every backend: 18 items in three libraries, written through the SearchIndex contract only.
 *
 *   tinh   Thư viện tỉnh Thái Bình            (a province library)
 *   huyen  Thư viện huyện Kiến Xương          (a district library under tinh)
 *   khac   Trung tâm Lưu trữ Quốc gia          (another institution: no "thư viện" in its name)
 *
 * Collections: tinh: han-nom > su-lieu, sach-moi; huyen: tu-lieu-lang, bao-cao; khac: tai-lieu,
 * bao-chi, noi-bo. Levels: public, public-reduced, registered, researcher, staff, an embargo until
 * 2999-01-01 and one that ended 2000-01-01.
 *
 * Words the suite relies on being unique (change the table with them): khoảnh (dia-ba, researcher),
 * khoán (mo-trach, staff), kiểm kê (kiem-ke, staff of khac), khắc (moc-ban, embargoed), kháng
 * (tieng-dan, registered), ngang (thang-long, embargo over), huấn (bao-cao page 2, written in NFD).
 */
import type { AccessLevel } from '../../server/auth/policy.js';
import { fold } from '../../server/search/fold.js';
import type { IndexSink, PageDoc, RecordDoc } from '../../server/search/index.js';
import type { OcrLine, OcrWord } from '../../server/storage/layout.js';

export const LIBRARIES = {
  tinh: { name: 'Thư viện tỉnh Thái Bình', parent: null },
  huyen: { name: 'Thư viện huyện Kiến Xương', parent: 'tinh' },
  khac: { name: 'Trung tâm Lưu trữ Quốc gia', parent: null },
} as const;
export type LibraryId = keyof typeof LIBRARIES;

/** Collection id → library, name and parent collection. */
export const COLLECTIONS = {
  'han-nom': { library: 'tinh', name: 'Hán Nôm', parent: null },
  'su-lieu': { library: 'tinh', name: 'Sử liệu', parent: 'han-nom' },
  'sach-moi': { library: 'tinh', name: 'Sách mới', parent: null },
  'tu-lieu-lang': { library: 'huyen', name: 'Tư liệu làng', parent: null },
  'bao-cao': { library: 'huyen', name: 'Báo cáo', parent: null },
  'tai-lieu': { library: 'khac', name: 'Tài liệu', parent: null },
  'bao-chi': { library: 'khac', name: 'Báo chí', parent: null },
  'noi-bo': { library: 'khac', name: 'Nội bộ', parent: null },
} as const satisfies Record<string, { library: LibraryId; name: string; parent: string | null }>;
export type CollectionId = keyof typeof COLLECTIONS;

/** The library, then those above it. */
export function libraryChain(id: LibraryId): LibraryId[] {
  const chain: LibraryId[] = [];
  for (let at: LibraryId | null = id; at; at = LIBRARIES[at].parent) chain.push(at);
  return chain;
}

/** The collection, then those above it. */
export function collectionChain(id: CollectionId): CollectionId[] {
  const chain: CollectionId[] = [];
  for (let at: CollectionId | null = id; at; at = COLLECTIONS[at].parent) chain.push(at);
  return chain;
}

// ---------------------------------------------------------------------------------------------
// OCR lines with plausible word boxes
// ---------------------------------------------------------------------------------------------

export const PAGE_WIDTH = 2000;
export const PAGE_HEIGHT = 2800;

const union = (words: readonly OcrWord[]) => {
  const x = Math.min(...words.map((w) => w.x));
  const y = Math.min(...words.map((w) => w.y));
  return { x, y, w: Math.max(...words.map((w) => w.x + w.w)) - x, h: Math.max(...words.map((w) => w.y + w.h)) - y };
};

/**
 * OcrLine[] from the lines of a page as OCR would read them. Horizontal text: lines top to bottom,
 * words (split on white space) left to right, about 24 px per character. Vertical text (Han, read in
 * columns right to left): a "line" is a column and every code point a word of its own, as OCR engines
 * box them.
 */
export function ocrLines(lines: readonly string[], opts: { vertical?: boolean } = {}): OcrLine[] {
  return lines.map((line, i) => {
    let words: OcrWord[];
    if (opts.vertical) {
      const x = PAGE_WIDTH - 200 - i * 110;
      words = Array.from(line.replace(/\s+/g, '')).map((ch, k) => ({ text: ch, x, y: 180 + k * 92, w: 84, h: 86, confidence: 0.8 + ((i + k) % 5) / 50 }));
    } else {
      const y = 200 + i * 72;
      let x = 160;
      words = line
        .split(/\s+/)
        .filter(Boolean)
        .map((text, k) => {
          const w = Array.from(text).length * 24;
          const word = { text, x, y: y + (k % 2), w, h: 46, confidence: 0.85 + ((i + k) % 3) / 25 };
          x += w + 16;
          return word;
        });
    }
    if (words.length === 0) return { text: line, x: 0, y: 0, w: 0, h: 0, words: [] };
    return { text: line, ...union(words), words };
  });
}

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

interface PageSpec {
  /** The page as OCR read it, lines separated by "\n". */
  readonly text: string;
  readonly vertical?: boolean;
  readonly language?: string;
  /** Stored in NFD (as some OCR and copy-paste deliver it): backends must normalise. */
  readonly nfd?: boolean;
}

interface ItemSpec {
  readonly id: string;
  readonly library: LibraryId;
  readonly collection: CollectionId;
  readonly kind: string;
  readonly languages: readonly string[];
  readonly scripts: readonly string[];
  readonly years: readonly [number, number] | null;
  readonly level: AccessLevel;
  readonly embargoUntil?: string;
  readonly callNumber: string;
  readonly title: readonly string[];
  readonly subjects: readonly string[];
  readonly description: readonly string[];
  readonly pages: readonly PageSpec[];
}

const ITEMS: readonly ItemSpec[] = [
  {
    id: 'so-hoa',
    library: 'tinh',
    collection: 'sach-moi',
    kind: 'book',
    languages: ['vi', 'en'],
    scripts: ['Latn'],
    years: [2021, 2021],
    level: 'public',
    callNumber: 'TV-2021-001',
    title: ['Thư viện tỉnh và công cuộc số hoá di sản Hán Nôm', 'The provincial library and the digitisation of Hán Nôm heritage'],
    subjects: ['Thư viện', 'Số hoá', 'Di sản văn hoá'],
    description: ['Báo cáo của thư viện tỉnh về việc số hoá tài liệu cổ.', 'Nhóm biên soạn Thư viện tỉnh'],
    pages: [
      { text: 'Lời nói đầu\nThư viện tỉnh bắt đầu số hoá\ntừ năm 2019 cùng Viện Nghiên cứu\nHán Nôm và các thư viện\nở Việt Nam.' },
      { text: 'Chương một\nCác thư viện huyện gửi tài liệu\nvề tỉnh. Người Việt xưa viết\nchữ Hán và chữ Nôm.' },
    ],
  },
  {
    id: 'dai-nam',
    library: 'tinh',
    collection: 'su-lieu',
    kind: 'book',
    languages: ['lzh'],
    scripts: ['Hani'],
    years: [1844, 1909],
    level: 'public-reduced',
    callNumber: 'HN-001',
    title: ['Đại Nam thực lục', '大南寔錄', 'Veritable Records of Đại Nam'],
    subjects: ['Lịch sử', 'Triều Nguyễn'],
    description: ['Bộ chính sử của triều Nguyễn do Quốc sử quán biên soạn.'],
    pages: [
      { text: '大南寔錄前編\n卷之一\n太祖嘉裕皇帝', vertical: true, language: 'lzh' },
      { text: '大南寔錄正編\n第一紀\n世祖高皇帝實錄', vertical: true, language: 'lzh' },
    ],
  },
  {
    id: 'tam-tu-kinh',
    library: 'tinh',
    collection: 'han-nom',
    kind: 'book',
    languages: ['lzh', 'vi'],
    scripts: ['Hani', 'Latn'],
    years: [1900, 1950],
    level: 'public',
    callNumber: 'HN-014',
    title: ['Tam tự kinh', '三字經', 'Three Character Classic'],
    subjects: ['Giáo dục', 'Nho học'],
    description: ['Sách học vỡ lòng, mỗi câu ba chữ, có phiên âm quốc ngữ.'],
    pages: [
      { text: '人之初\n性本善\n性相近\n習相遠', vertical: true, language: 'lzh' },
      { text: 'Nhân chi sơ,\ntính bản thiện.\nTính tương cận,\ntập tương viễn.' },
      { text: '人之初 — Nhân chi sơ:\nngười ta lúc mới sinh ra\ntính vốn lành.' },
    ],
  },
  {
    id: 'truyen-kieu',
    library: 'tinh',
    collection: 'han-nom',
    kind: 'book',
    languages: ['vi'],
    scripts: ['Nom'],
    years: [1871, 1871],
    level: 'public',
    callNumber: 'HN-027',
    title: ['Truyện Kiều', 'Đoạn trường tân thanh', '斷腸新聲'],
    subjects: ['Văn học', 'Truyện thơ Nôm'],
    description: ['Truyện thơ của Nguyễn Du, bản in năm 1871.'],
    pages: [
      // Trăm năm trong cõi người ta / Chữ tài chữ mệnh khéo là ghét nhau (Extension B: 𤾓 𢆥 𥪞 𡎝 𠊛 𡦂).
      { text: '𤾓𢆥𥪞𡎝𠊛些\n𡦂才𡦂命窖羅恄饒', vertical: true },
      { text: 'Trăm năm trong cõi người ta,\nchữ tài chữ mệnh khéo là ghét nhau.' },
      // 𢆥 𠀧 𤾓 (năm, ba, trăm) not in the order of page 1; 𠀀 is the first code point of Extension B.
      { text: '𢆥𠀧𤾓\n吝𠀀', vertical: true },
    ],
  },
  {
    id: 'huong-dan',
    library: 'tinh',
    collection: 'sach-moi',
    kind: 'guide',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [2023, 2023],
    level: 'public',
    callNumber: 'HD-2023',
    title: ['Hướng dẫn tra cứu tài liệu số'],
    subjects: ['Tra cứu'],
    description: ['Cách tìm tài liệu trong thư viện số của tỉnh.'],
    // Text that looks like FTS5 / Elasticsearch query syntax.
    pages: [{ text: 'Cú pháp cũ của máy tìm:\ntieude:"Hán Nôm" AND (địa OR bạ)\nNEAR/3 ^2 -bansao *' }],
  },
  {
    id: 'moc-ban',
    library: 'tinh',
    collection: 'sach-moi',
    kind: 'thesis',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [2025, 2025],
    level: 'public',
    embargoUntil: '2999-01-01',
    callNumber: 'LA-2025-07',
    title: ['Nghề in mộc bản ở Liễu Tràng', 'Woodblock printing in Liễu Tràng'],
    subjects: ['Mộc bản', 'Nghề thủ công'],
    description: ['Luận án tiến sĩ.'],
    pages: [{ text: 'Những người thợ khắc ván\nở làng Liễu Tràng giữ nghề\nqua nhiều đời.' }],
  },
  {
    id: 'dia-ba',
    library: 'huyen',
    collection: 'tu-lieu-lang',
    kind: 'manuscript',
    languages: ['lzh', 'vi'],
    scripts: ['Hani'],
    years: [1805, 1805],
    level: 'researcher',
    callNumber: 'DB-0042',
    title: ['Địa bạ làng Đông Ngạc', '東鄂社地簿'],
    subjects: ['Ruộng đất', 'Làng xã'],
    description: ['Sổ ruộng đất lập năm Gia Long thứ 4.'],
    pages: [
      { text: '東鄂社地簿\n田土登錄\n公田', vertical: true, language: 'lzh' },
      { text: 'Địa bạ xã Đông Ngạc:\nruộng công điền ba khoảnh\nở xứ Đồng Bến.' },
    ],
  },
  {
    id: 'mo-trach',
    library: 'huyen',
    collection: 'tu-lieu-lang',
    kind: 'manuscript',
    languages: ['vi'],
    scripts: ['Latn', 'Nom'],
    years: [1890, 1900],
    level: 'staff',
    callNumber: 'HU-0007',
    title: ['Hương ước làng Mộ Trạch'],
    subjects: ['Hương ước', 'Làng xã'],
    description: ['Bản hương ước viết tay, lưu tại đình làng.'],
    pages: [{ text: 'Khoán ước làng Mộ Trạch\nđiều thứ nhất: việc tế lễ\nở đình làng.' }],
  },
  {
    id: 'bao-cao',
    library: 'huyen',
    collection: 'bao-cao',
    kind: 'report',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [2022, 2022],
    level: 'public',
    callNumber: 'BC-2022',
    title: ['Báo cáo hoạt động thư viện huyện năm 2022'],
    subjects: ['Thư viện', 'Báo cáo'],
    description: ['Số liệu bạn đọc, sách mới và chuyển đổi số.'],
    pages: [
      // "công cuộc" broken across two OCR lines.
      { text: 'Trong năm qua, thư viện huyện đã tham gia công\ncuộc chuyển đổi số cùng\nthư viện tỉnh.' },
      { text: 'Đội ngũ cán bộ được tập huấn\nvề bảo quản tài liệu cổ.', nfd: true },
      { text: 'Hệ thống mới giúp bạn đọc tra cứu\nnhanh hơn; tài liệu số hoá được\nđưa lên mạng.' },
    ],
  },
  {
    id: 'english-report',
    library: 'khac',
    collection: 'tai-lieu',
    kind: 'report',
    languages: ['en'],
    scripts: ['Latn'],
    years: [2019, 2019],
    level: 'public',
    callNumber: 'ER-2019',
    title: ['Preservation and access: a report on digitisation'],
    subjects: ['Preservation', 'Digitisation'],
    description: ['A survey of manuscript collections in northern Vietnam.'],
    pages: [
      // "digitisation" hyphenated across a line break.
      { text: 'The library and its partners scanned\nmanuscripts and woodblock prints for digi-\ntisation in 2018.', language: 'en' },
      { text: 'Readers may request a scan or a print\nof any manuscript in the collection.', language: 'en' },
      { text: 'Interview with Mr Duong, the librarian\nwho led the project.', language: 'en' },
    ],
  },
  {
    id: 'en-guide',
    library: 'khac',
    collection: 'tai-lieu',
    kind: 'guide',
    languages: ['en'],
    scripts: ['Latn'],
    years: [2020, 2020],
    level: 'public-reduced',
    callNumber: 'RG-01',
    title: ['Reading room guide'],
    subjects: ['Reading room'],
    description: ['Rules for readers.'],
    pages: [{ text: 'Scan and print requests\nare handled at the desk.', language: 'en' }],
  },
  {
    id: 'ma-exact',
    library: 'khac',
    collection: 'tai-lieu',
    kind: 'book',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [2015, 2015],
    level: 'public',
    callNumber: 'MA-01',
    title: ['Mã nguồn mở trong thư viện'],
    subjects: ['Phần mềm'],
    description: ['Giới thiệu phần mềm nguồn mở.'],
    pages: [],
  },
  {
    id: 'ma-plain',
    library: 'khac',
    collection: 'tai-lieu',
    kind: 'book',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [2016, 2016],
    level: 'public',
    callNumber: 'MA-02',
    title: ['Ma trận dữ liệu trong thư viện'],
    subjects: ['Dữ liệu'],
    description: ['Giới thiệu cách sắp xếp dữ liệu.'],
    pages: [],
  },
  {
    id: 'ngu-phap',
    library: 'khac',
    collection: 'tai-lieu',
    kind: 'book',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [1960, 1960],
    level: 'public',
    callNumber: 'NP-1960',
    title: ['Ngữ pháp tiếng Việt giản yếu'],
    subjects: ['Ngôn ngữ học'],
    description: ['Sách giáo khoa về thanh điệu và từ Hán Việt.'],
    pages: [
      // Words that differ only by their tone mark.
      { text: 'Sáu thanh điệu: ma, má, mà,\nmả, mã, mạ.' },
      { text: 'Con đường đến trường\nđi qua cánh đồng.' },
      // "chi nhân" (not "nhân chi"); "cuộc" and "công" not next to each other.
      { text: 'Từ Hán Việt: quân tử chi nhân.\nCuộc sống và công việc.' },
    ],
  },
  {
    id: 'tieng-dan',
    library: 'khac',
    collection: 'bao-chi',
    kind: 'newspaper',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [1927, 1943],
    level: 'registered',
    callNumber: 'BC-TD',
    title: ['Báo Tiếng Dân'],
    subjects: ['Báo chí'],
    description: ['Tờ báo xuất bản ở Huế.'],
    pages: [{ text: 'Tiếng Dân số 1\nChủ nhiệm: Huỳnh Thúc Kháng' }],
  },
  {
    id: 'thang-long',
    library: 'khac',
    collection: 'tai-lieu',
    kind: 'thesis',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [1998, 1998],
    level: 'public',
    embargoUntil: '2000-01-01',
    callNumber: 'LV-1998',
    title: ['Luận văn về phố cổ'],
    subjects: ['Đô thị'],
    description: ['Luận văn thạc sĩ.'],
    pages: [{ text: 'Phố Hàng Ngang và phố Hàng Đào\nthời thuộc Pháp.' }],
  },
  {
    id: 'kiem-ke',
    library: 'khac',
    collection: 'noi-bo',
    kind: 'document',
    languages: ['vi'],
    scripts: ['Latn'],
    years: [2024, 2024],
    level: 'staff',
    callNumber: 'NB-2024',
    title: ['Sổ kiểm kê kho năm 2024'],
    subjects: ['Kiểm kê'],
    description: ['Tài liệu nội bộ.'],
    pages: [{ text: 'Kiểm kê kho sách\nngày 1 tháng 3.' }],
  },
  {
    id: 'ca-dao',
    library: 'khac',
    collection: 'tai-lieu',
    kind: 'manuscript',
    languages: ['vi'],
    scripts: ['Nom'],
    years: null,
    level: 'public',
    callNumber: 'CD-01',
    title: ['Ca dao chép tay', '歌謠'],
    subjects: ['Ca dao'],
    description: ['Bản chép tay chữ Nôm, không rõ năm.'],
    // U+213E7 shares its high surrogate (D844) with 𡎝 U+2139D, U+2179D its low surrogate (DF9D):
    // a backend that splits UTF-16 units instead of code points confuses them.
    pages: [{ text: '\u{213E7}\u{2179D}\n歌謠', vertical: true }],
  },
  {
    // Variant forms: the same words printed in traditional and in simplified characters, and 爲/為.
    id: 'luan-ngu',
    library: 'tinh',
    collection: 'han-nom',
    kind: 'book',
    languages: ['lzh'],
    scripts: ['Hani'],
    years: [1850, 1850],
    level: 'public',
    callNumber: 'HN-101',
    title: ['Luận ngữ', '論語'],
    subjects: ['Nho học'],
    description: ['Sách kinh điển Nho giáo.'],
    pages: [
      { text: '子曰學而時習之\n不亦說乎', vertical: true, language: 'lzh' },
      { text: '子曰学而时习之\n不亦说乎', vertical: true, language: 'lzh' },
      { text: '爲政以德\n譬如北辰', vertical: true, language: 'lzh' },
    ],
  },
  {
    id: 'vi-chinh',
    library: 'tinh',
    collection: 'han-nom',
    kind: 'book',
    languages: ['lzh'],
    scripts: ['Hani'],
    years: [1900, 1900],
    level: 'public',
    callNumber: 'HN-102',
    title: ['Vi chính', '為政'],
    subjects: ['Nho học'],
    description: ['Chương thứ hai sách Luận ngữ, bản in khác.'],
    pages: [{ text: '為政以德\n居其所而衆星共之', vertical: true, language: 'lzh' }],
  },
];

function recordOf(spec: ItemSpec): RecordDoc {
  const collections = collectionChain(spec.collection);
  return {
    itemId: spec.id,
    library: spec.library,
    collections,
    kind: spec.kind,
    languages: spec.languages,
    scripts: spec.scripts,
    dateFrom: spec.years?.[0] ?? null,
    dateTo: spec.years?.[1] ?? null,
    access: { level: spec.level, embargoUntil: spec.embargoUntil ?? null, libraries: libraryChain(spec.library) },
    hasText: spec.pages.length > 0,
    title: spec.title,
    subjects: spec.subjects,
    description: spec.description,
    other: [spec.callNumber, LIBRARIES[spec.library].name, ...collections.map((c) => COLLECTIONS[c].name)],
    sortTitle: fold(spec.title[0]!),
    updatedAt: '2026-11-01T08:00:00.000Z',
  };
}

function pagesOf(spec: ItemSpec): PageDoc[] {
  return spec.pages.map((p, i) => {
    const text = p.nfd ? p.text.normalize('NFD') : p.text;
    return {
      itemId: spec.id,
      canvas: i + 1,
      imageId: `${spec.id}-${String(i + 1).padStart(4, '0')}`,
      language: p.language ?? spec.languages[0] ?? 'vi',
      text,
      lines: ocrLines(text.split('\n'), { vertical: p.vertical ?? false }),
    };
  });
}

export const RECORDS: readonly RecordDoc[] = ITEMS.map(recordOf);
export const PAGES: readonly PageDoc[] = ITEMS.flatMap(pagesOf);
export const ITEM_IDS: readonly string[] = RECORDS.map((r) => r.itemId);

export function record(itemId: string): RecordDoc {
  const r = RECORDS.find((x) => x.itemId === itemId);
  if (!r) throw new Error(`no item ${itemId} in the search corpus`);
  return r;
}

export function page(itemId: string, canvas: number): PageDoc {
  const p = PAGES.find((x) => x.itemId === itemId && x.canvas === canvas);
  if (!p) throw new Error(`no page ${itemId}#${canvas} in the search corpus`);
  return p;
}

/** Writes the corpus as ingest does: an item's pages, then its record. */
export async function fillCorpus(sink: IndexSink): Promise<void> {
  for (const r of RECORDS) {
    for (const p of PAGES.filter((x) => x.itemId === r.itemId)) await sink.putPage(p);
    await sink.putRecord(r);
  }
}
