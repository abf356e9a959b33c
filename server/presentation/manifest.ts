/**
 * Catalogue item → IIIF Presentation 3 manifest, built with iiif-builder. iiif-builder has no
 * `provider`, `partOf` of our shape or `structures`; those are added to its output here.
 * Hooks (`ManifestHooks`) let later modules add OCR annotation pages per canvas and services
 * (content search) without this file knowing them.
 */
import { escapeXml } from './dublin-core.js';
import { rightsName } from './rights.js';
import * as iiifBuilder from 'iiif-builder';
// iiif-builder's package.json `exports` hides its type declarations; take them by path.
import type { IIIFBuilder as Builder } from '../../node_modules/iiif-builder/dist/index.js';
import type { Canvas, Item } from '../catalogue/catalogue.js';
import type { Collection, Library, Range } from '../catalogue/schema.js';
import { both, FIELD, formatDate, KIND_LABEL, LANGUAGE_LABEL, SCRIPT_LABEL, titleMap, viEn, type LanguageMap } from './labels.js';
import type { PresentationUris } from './uris.js';
import { thumbnailSize } from '../storage/sizes.js';

export type Json = Record<string, unknown>;

export interface ManifestHooks {
  /** What a canvas links to beyond its image: AnnotationPage references (OCR…) and `seeAlso` (ALTO…). */
  canvasExtras?(item: Item, canvas: Canvas, uris: PresentationUris): { annotations?: Json[]; seeAlso?: Json[] };
  /** Services of the manifest (e.g. IIIF Content Search). */
  services?(item: Item): Json[];
}

export interface ManifestContext {
  readonly uris: PresentationUris;
  readonly library: Library;
  readonly collection: Collection;
  readonly hooks?: ManifestHooks;
}

export function imageServices(uris: PresentationUris, imageId: string): Json[] {
  return [
    { id: uris.image3(imageId), type: 'ImageService3', profile: 'level2' },
    { '@id': uris.image2(imageId), '@type': 'ImageService2', profile: 'http://iiif.io/api/image/2/level2.json' },
  ];
}

/** Thumbnail box (px) of manifests, collections and our pages. */
export const THUMBNAIL_BOX = 300;

/**
 * A thumbnail URL of an image: the largest pre-rendered size that fits the box, asked for exactly, so
 * that serving it is a file copy (`!300,300` would be a render on every uncached request).
 */
export function thumbnailUrl(uris: PresentationUris, imageId: string, size: { width: number; height: number }): string {
  const s = thumbnailSize(size.width, size.height, THUMBNAIL_BOX);
  return `${uris.image3(imageId)}/full/${s ? `${s.width},${s.height}` : `!${THUMBNAIL_BOX},${THUMBNAIL_BOX}`}/0/default.jpg`;
}

export function thumbnail(uris: PresentationUris, imageId: string, size: { width: number; height: number }): Json {
  return {
    id: thumbnailUrl(uris, imageId, size),
    type: 'Image',
    format: 'image/jpeg',
    service: [imageServices(uris, imageId)[0]],
  };
}

export function provider(uris: PresentationUris, library: Library): Json {
  const homepage = library.homepage ?? uris.libraryPage(library.id);
  return {
    id: uris.libraryPage(library.id),
    type: 'Agent',
    label: viEn(library.name),
    homepage: [{ id: homepage, type: 'Text', label: viEn(library.name), format: 'text/html' }],
    ...(library.logo
      ? { logo: [{ id: `${uris.image3(library.logo)}/full/!200,200/0/default.png`, type: 'Image', format: 'image/png', service: [imageServices(uris, library.logo)[0]] }] }
      : {}),
  };
}

function metadata(item: Item, library: Library): { label: LanguageMap; value: LanguageMap }[] {
  const d = item.description;
  const rows: { label: LanguageMap; value: LanguageMap }[] = [];
  const add = (field: string, value: LanguageMap | null) => {
    if (value) rows.push({ label: both(field, FIELD), value });
  };
  const list = (values: string[]) => (values.length > 0 ? { none: values } : null);
  const terms = (keys: string[], table: Record<string, { vi: string; en: string }>) =>
    keys.length > 0
      ? { vi: keys.map((k) => table[k]?.vi ?? k), en: keys.map((k) => table[k]?.en ?? k) }
      : null;
  add('alternativeTitles', list(d.alternativeTitles));
  add('creators', list(d.creators));
  if (d.date) add('date', { none: [formatDate(d.date)] });
  add('kind', both(item.kind, KIND_LABEL));
  add('languages', terms(d.languages, LANGUAGE_LABEL));
  add('scripts', terms(d.scripts, SCRIPT_LABEL));
  add('subjects', list(d.subjects));
  add('places', list(d.places));
  add('extent', d.extent ? { none: [d.extent] } : null);
  add('callNumber', d.callNumber ? { none: [d.callNumber] } : null);
  add('holding', viEn(library.name));
  add('source', d.source ? { none: [d.source] } : null);
  // The rights by name (`rights` holds only the URI, which viewers show as it is), linked to the statement.
  const name = rightsName(d.rights);
  if (name) {
    const link = (lang: 'vi' | 'en') => `<a href="${escapeXml(d.rights)}">${escapeXml(name[lang])} (${escapeXml(name.code)})</a>`;
    add('rights', { vi: [link('vi')], en: [link('en')] });
  }
  return rows;
}

function ranges(item: Item, uris: PresentationUris, list: readonly Range[], path: string[] = []): Json[] {
  return list.map((r, i) => {
    const here = [...path, String(i + 1)];
    return {
      id: uris.range(item.id, here.join('-')),
      type: 'Range',
      label: viEn(r.label),
      items: [
        ...r.canvases.map((n) => ({ id: uris.canvas(item.id, n), type: 'Canvas' })),
        ...ranges(item, uris, r.ranges ?? [], here),
      ],
    };
  });
}

export function buildManifest(item: Item, ctx: ManifestContext): Json {
  const { uris, library, collection } = ctx;
  const d = item.description;
  const id = uris.manifest(item.id);
  const builder = new (iiifBuilder as unknown as { IIIFBuilder: typeof Builder }).IIIFBuilder();
  const built = builder.createManifest(id, (m) => {
    m.setLabel(titleMap(item.description.title));
    if (d.summary) m.setSummary(viEn(d.summary));
    m.setMetadata(metadata(item, library));
    m.setRequiredStatement({ label: both('holding', FIELD), value: viEn(library.name) });
    m.setRights(d.rights);
    m.setViewingDirection(d.viewingDirection);
    m.setBehavior([d.behavior]);
    m.addThumbnail(thumbnail(uris, item.canvases[0]!.image, item.canvases[0]!) as never);
    m.setHomepage({ id: uris.itemPage(item.id), type: 'Text', label: titleMap(item.description.title), format: 'text/html', language: ['vi'] } as never);
    m.addRendering({ id: uris.pdf(item.id), type: 'Text', label: { vi: ['Tải bản PDF'], en: ['Download as PDF'] }, format: 'application/pdf' } as never);
    m.addSeeAlso({ id: uris.dublinCore(item.id), type: 'Dataset', label: { vi: ['Biểu ghi Dublin Core'], en: ['Dublin Core record'] }, format: 'application/xml', profile: 'http://www.openarchives.org/OAI/2.0/oai_dc/' } as never);
    for (const c of item.canvases) {
      m.createCanvas(uris.canvas(item.id, c.position), (canvas) => {
        canvas.width = c.width;
        canvas.height = c.height;
        canvas.setLabel(c.label ? { vi: [c.label] } : { none: [String(c.position)] });
        canvas.createAnnotationPage(uris.paintingPage(item.id, c.position), (page) => {
          page.createAnnotation({
            id: uris.painting(item.id, c.position),
            type: 'Annotation',
            motivation: 'painting',
            target: uris.canvas(item.id, c.position),
            body: {
              id: `${uris.image3(c.image)}/full/max/0/default.jpg`,
              type: 'Image',
              format: 'image/jpeg',
              width: c.width,
              height: c.height,
              service: imageServices(uris, c.image),
            },
          } as never);
        });
      });
    }
  });
  const json = builder.toPresentation3({ id: built.id, type: 'Manifest' }) as Json;

  // What iiif-builder does not write.
  json.provider = [provider(uris, library)];
  json.partOf = [{ id: uris.collection(collection.id), type: 'Collection', label: viEn(collection.label) }];
  if (item.structures.length > 0) json.structures = ranges(item, uris, item.structures);
  const services = ctx.hooks?.services?.(item) ?? [];
  if (services.length > 0) json.service = services;
  if (ctx.hooks?.canvasExtras) {
    const canvases = json.items as Json[];
    item.canvases.forEach((c, i) => {
      const extras = ctx.hooks!.canvasExtras!(item, c, uris);
      if (extras.annotations?.length) canvases[i]!.annotations = extras.annotations;
      if (extras.seeAlso?.length) canvases[i]!.seeAlso = extras.seeAlso;
    });
  }
  return json;
}
