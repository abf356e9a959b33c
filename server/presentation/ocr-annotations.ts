/**
 * OCR as W3C Web Annotations: per canvas, an AnnotationPage of lines and one of words, each annotation
 * `supplementing` with the text as a TextualBody and an `xywh` box on the canvas, marked with its
 * granularity (IIIF Text Granularity extension). The boxes are canvas pixels (OCR reads the pyramid's
 * full level). The ALTO the engine wrote is linked from the canvas's `seeAlso`.
 */
import type { Canvas, Item } from '../catalogue/catalogue.js';
import type { OcrPage } from '../storage/layout.js';
import type { Json, ManifestHooks } from './manifest.js';
import type { PresentationUris } from './uris.js';

export type Granularity = 'line' | 'word';

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

/** Manifest hooks linking a canvas to its OCR annotation pages and ALTO, for the pages that have OCR. */
export function ocrHooks(pagesWithOcr: ReadonlySet<number>): ManifestHooks {
  return {
    canvasExtras(item, canvas, uris) {
      if (!pagesWithOcr.has(canvas.position)) return {};
      return {
        annotations: (['line', 'word'] as const).map((g) => ({ id: uris.ocrPage(item.id, canvas.position, g), type: 'AnnotationPage' })),
        seeAlso: [
          {
            id: uris.alto(item.id, canvas.position),
            type: 'Dataset',
            label: { vi: ['Kết quả nhận dạng (ALTO XML)'], en: ['OCR (ALTO XML)'] },
            format: 'application/xml',
            profile: 'http://www.loc.gov/standards/alto/v4/alto.xsd',
          },
        ],
      };
    },
  };
}
