/**
 * Presentation without HTTP: manifests and collections in 3.0 or 2.1 as serialised JSON with an ETag.
 * A manifest is built once per item version and base URL and kept in memory (building a 1 000-page
 * manifest with iiif-builder takes ~150 ms; serving the kept one takes a version look-up).
 */
import { createHash } from 'node:crypto';
import type { Catalogue } from '../catalogue/catalogue.js';
import { NotFoundError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { collection, libraryCollection, topCollection } from './collections.js';
import { canvasOf, ocrAnnotationPage, readOcr, type Granularity } from './ocr-annotations.js';
import { buildManifest, type Json, type ManifestHooks } from './manifest.js';
import { presentationUris } from './uris.js';
import { collectionToV2, manifestToV2 } from './v2.js';

export type PresentationVersion = 2 | 3;

export interface Document {
  readonly body: string;
  readonly etag: string;
}

export type CollectionRef = { kind: 'top' } | { kind: 'library'; id: string } | { kind: 'collection'; id: string; page?: number };

function document(json: Json): Document {
  const body = JSON.stringify(json);
  return { body, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 20)}"` };
}

export class PresentationService {
  private readonly manifests = new Map<string, { version: number; doc: Document }>();

  constructor(
    private readonly catalogue: Catalogue,
    private readonly opts: { pageSize: number; hooks?: ManifestHooks; maxCached?: number; store?: BlobStore },
  ) {}

  /** The OCR of a page as an AnnotationPage. @throws NotFoundError (no item, page or OCR) */
  ocrPage(itemId: string, n: number, granularity: Granularity, base: string): Document {
    const item = this.catalogue.getItem(itemId);
    const canvas = canvasOf(item, n);
    const page = this.opts.store ? readOcr(this.opts.store, canvas.image) : null;
    if (!page) throw new NotFoundError(`page ${n} of "${itemId}" has no recognised text`, 'no_ocr');
    return document(ocrAnnotationPage(presentationUris(base), item, canvas, page, granularity));
  }

  /** @throws NotFoundError */
  manifest(itemId: string, base: string, version: PresentationVersion): Document {
    const key = `${version}|${base}|${itemId}`;
    const itemVersion = this.catalogue.getItemVersion(itemId);
    const kept = this.manifests.get(key);
    if (kept?.version === itemVersion) return kept.doc;
    const item = this.catalogue.getItem(itemId);
    const collectionRow = this.catalogue.getCollection(item.collection);
    const uris = presentationUris(base);
    const v3 = buildManifest(item, { uris, library: this.catalogue.getLibrary(item.library), collection: collectionRow, hooks: this.opts.hooks });
    const doc = document(version === 3 ? v3 : manifestToV2(v3, uris));
    if (this.manifests.size >= (this.opts.maxCached ?? 500)) this.manifests.delete(this.manifests.keys().next().value!);
    this.manifests.set(key, { version: item.version, doc });
    return doc;
  }

  /** @throws NotFoundError */
  collection(ref: CollectionRef, base: string, version: PresentationVersion): Document {
    const uris = presentationUris(base);
    const v3 =
      ref.kind === 'top'
        ? topCollection(this.catalogue, uris)
        : ref.kind === 'library'
          ? libraryCollection(this.catalogue, uris, ref.id)
          : collection(this.catalogue, uris, ref.id, this.opts.pageSize, ref.page);
    return document(version === 3 ? v3 : collectionToV2(v3, uris));
  }
}
