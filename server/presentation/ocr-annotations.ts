/**
 * OCR as W3C Web Annotations: per canvas, an AnnotationPage of lines and one of words, each annotation
 * `supplementing` with the text as a TextualBody and an `xywh` box on the canvas, marked with its
 * granularity (IIIF Text Granularity extension). The boxes are canvas pixels (OCR reads the pyramid's
 * full level).
 *
 * A canvas lists only the line page in its `annotations`: viewers fetch every page listed there and show
 * all of it (Mirador 4 lists and outlines each annotation: words and lines together would show each text
 * twice, the word boxes swamping the page). The word page is linked from the canvas's `seeAlso`, beside
 * the ALTO the engine wrote, for clients that want word boxes; Content Search gives a reader the words
 * that matter. A manifest whose item has any OCR offers Content Search 1.0 and 2.0 (`services`).
 */
import type { Canvas, Item } from '../catalogue/catalogue.js';
import { anyRead, hanTextOf, segments, spoken } from '../han/reading.js';
import type { OcrPage } from '../storage/layout.js';
import { contentSearchServices } from '../search/content-search.js';
import type { Json, ManifestHooks } from './manifest.js';
import type { PresentationUris } from './uris.js';

export type Granularity = 'line' | 'word';
/** The pages served per canvas: OCR by line, by word, and the Vietnamese reading of Han lines. */
export type OcrPageKind = Granularity | 'reading';

const CONTEXT = ['http://iiif.io/api/extension/text-granularity/context.json', 'http://iiif.io/api/presentation/3/context.json'];

export function ocrAnnotationPage(uris: PresentationUris, item: Item, canvas: Canvas, page: OcrPage, granularity: Granularity): Json {
  const id = uris.ocrPage(item.id, canvas.position, granularity);
  const target = uris.canvas(item.id, canvas.position);
  const units = granularity === 'line' ? page.lines : page.lines.flatMap((l) => l.words);
  return {
    '@context': CONTEXT,
    id,
    type: 'AnnotationPage',
    label: { vi: [granularity === 'line' ? 'Văn bản nhận dạng (theo dòng)' : 'Văn bản nhận dạng (theo từ)'], en: [`Recognised text (${granularity}s)`] },
    items: units.map((u, i) => ({
      id: `${id}/${i + 1}`,
      type: 'Annotation',
      motivation: 'supplementing',
      textGranularity: granularity,
      body: { type: 'TextualBody', value: u.text, format: 'text/plain', language: page.language },
      target: `${target}#xywh=${u.x},${u.y},${u.w},${u.h}`,
    })),
  };
}

const READING_LABEL = {
  vi: ['Âm đọc tiếng Việt của chữ Hán, chữ Nôm (máy tạo, chưa hiệu đính)'],
  en: ['Vietnamese reading of the Han and Nôm text (machine-generated, not proofread)'],
};

/**
 * The Vietnamese reading of a page's Han lines as an AnnotationPage: per OCR line with a Han character,
 * a `supplementing` annotation in `vi` at line granularity whose body reads each character as the item's
 * kind of text reads it (Literary Chinese or Nôm: han/reading.ts), on the line's box. Machine-generated, and it says so (label, generator).
 */
export function readingAnnotationPage(uris: PresentationUris, item: Item, canvas: Canvas, page: OcrPage): Json {
  const id = uris.ocrPage(item.id, canvas.position, 'reading');
  const target = uris.canvas(item.id, canvas.position);
  const kind = hanTextOf(item);
  return {
    '@context': CONTEXT,
    id,
    type: 'AnnotationPage',
    label: READING_LABEL,
    // Lines with a character that has a reading (a line of unread characters would be Han text tagged vi).
    items: page.lines
      .map((l) => ({ l, segs: segments(l.text, kind) }))
      .filter(({ segs }) => anyRead(segs))
      .map(({ l, segs }, i) => ({
        id: `${id}/${i + 1}`,
        type: 'Annotation',
        motivation: 'supplementing',
        textGranularity: 'line',
        label: READING_LABEL,
        generator: { type: 'Software', name: 'Văn Khố: Unicode Unihan kVietnamese and curated Nôm readings' },
        body: { type: 'TextualBody', value: spoken(segs), format: 'text/plain', language: 'vi' },
        target: `${target}#xywh=${l.x},${l.y},${l.w},${l.h}`,
      })),
  };
}

/**
 * Manifest hooks for the pages that have OCR: the line page in the canvas's annotations (and, for an
 * item written in Han or Nôm, the reading page after it), the ALTO and the word page in its seeAlso, and
 * the Content Search services of the manifest.
 */
export function ocrHooks(pagesWithOcr: ReadonlySet<number>, uris: PresentationUris, readings = false): ManifestHooks {
  return {
    services: (item) => (pagesWithOcr.size > 0 ? contentSearchServices(uris, item.id) : []),
    canvasExtras(item, canvas) {
      if (!pagesWithOcr.has(canvas.position)) return {};
      return {
        annotations: [
          { id: uris.ocrPage(item.id, canvas.position, 'line'), type: 'AnnotationPage' },
          ...(readings ? [{ id: uris.ocrPage(item.id, canvas.position, 'reading'), type: 'AnnotationPage', label: READING_LABEL }] : []),
        ],
        seeAlso: [
          {
            id: uris.alto(item.id, canvas.position),
            type: 'Dataset',
            label: { vi: ['Kết quả nhận dạng (ALTO XML)'], en: ['OCR (ALTO XML)'] },
            format: 'application/xml',
            profile: 'http://www.loc.gov/standards/alto/v4/alto.xsd',
          },
          {
            id: uris.ocrPage(item.id, canvas.position, 'word'),
            type: 'AnnotationPage',
            label: { vi: ['Văn bản nhận dạng (theo từ)'], en: ['Recognised text (words)'] },
            format: 'application/ld+json',
            profile: 'http://iiif.io/api/presentation/3/context.json',
          },
        ],
      };
    },
  };
}
