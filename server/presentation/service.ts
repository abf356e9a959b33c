/**
 * Presentation without HTTP: manifests and collections in 3.0 or 2.1 as serialised JSON with an ETag,
 * read through the archive service with the reader's identity (never the catalogue directly).
 * A manifest is built once per item version and base URL and kept in memory (building a 1 000-page
 * manifest with iiif-builder takes ~150 ms; serving the kept one takes a version look-up).
 */
import { createHash } from 'node:crypto';
import type { Archive } from '../archive/service.js';
import type { Identity } from '../auth/policy.js';
import { canvasOf } from '../archive/service.js';
import { collection, libraryCollection, topCollection } from './collections.js';
import { NotFoundError } from '../errors.js';
import { isHanItem } from '../han/reading.js';
import { ocrAnnotationPage, ocrHooks, readingAnnotationPage, type OcrPageKind } from './ocr-annotations.js';
import { buildManifest, type Json } from './manifest.js';
import { presentationUris } from './uris.js';
import { collectionToV2, manifestToV2 } from './v2.js';

export type PresentationVersion = 2 | 3;

export interface Document {
  readonly body: string;
  readonly etag: string;
  /** Everyone may be sent this (else Cache-Control must be private). */
  readonly isPublic: boolean;
}

export type CollectionRef = { kind: 'top' } | { kind: 'library'; id: string } | { kind: 'collection'; id: string; page?: number };

function document(json: Json, isPublic: boolean): Document {
  const body = JSON.stringify(json);
  return { body, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 20)}"`, isPublic };
}

export class PresentationService {
  private readonly manifests = new Map<string, { stamp: string; doc: Document }>();

  constructor(
    private readonly archive: Archive,
    private readonly opts: { pageSize: number; maxCached?: number },
  ) {}

  /**
   * The OCR of a page as an AnnotationPage (lines or words), or the reading of its Han lines (an item
   * written in Han or Nôm only). @throws NotFoundError (no item, page or OCR; a reading of another item), Unauthorized/Forbidden
   */
  async ocrPage(identity: Identity, itemId: string, n: number, kind: OcrPageKind, base: string): Promise<Document> {
    const { item, page } = await this.archive.ocr(identity, itemId, n);
    const uris = presentationUris(base);
    if (kind === 'reading' && !isHanItem(item)) throw new NotFoundError(`item ${itemId} is not written in Han or Nôm: it has no reading layer`);
    const json = kind === 'reading' ? readingAnnotationPage(uris, item, canvasOf(item, n), page) : ocrAnnotationPage(uris, item, canvasOf(item, n), page, kind);
    return document(json, this.archive.openToAll(item.access));
  }

  /**
   * The manifest: anyone who may discover the item gets it (its images and text are protected by their
   * own services, as IIIF Authorization expects). @throws NotFoundError
   */
  async manifest(identity: Identity, itemId: string, base: string, version: PresentationVersion): Promise<Document> {
    const key = `${version}|${base}|${itemId}`;
    // Kept per item version and access (a level inherited from a collection changes no item version).
    const stamp = await this.archive.itemStamp(identity, itemId);
    const kept = this.manifests.get(key);
    if (kept?.stamp === stamp) return kept.doc;
    const { item } = await this.archive.item(identity, itemId);
    const uris = presentationUris(base);
    const v3 = buildManifest(item, {
      uris,
      library: await this.archive.library(identity, item.library),
      collection: await this.archive.collection(identity, item.collection),
      hooks: ocrHooks(await this.archive.pagesWithOcr(item), uris, isHanItem(item)),
    });
    const doc = document(version === 3 ? v3 : manifestToV2(v3, uris), this.archive.openToAll(item.access));
    if (this.manifests.size >= (this.opts.maxCached ?? 500)) this.manifests.delete(this.manifests.keys().next().value!);
    this.manifests.set(key, { stamp, doc });
    return doc;
  }

  /** A collection as this reader may see it. @throws NotFoundError */
  async collection(identity: Identity, ref: CollectionRef, base: string, version: PresentationVersion): Promise<Document> {
    const uris = presentationUris(base);
    const v3 =
      ref.kind === 'top'
        ? await topCollection(this.archive, identity, uris)
        : ref.kind === 'library'
          ? await libraryCollection(this.archive, identity, uris, ref.id)
          : await collection(this.archive, identity, uris, ref.id, this.opts.pageSize, ref.page);
    // Listings differ by reader for staff (staff-level records) and the reading room (its thumbnails).
    const isPublic = !identity.user && !identity.inReadingRoom;
    return document(version === 3 ? v3 : collectionToV2(v3, uris), isPublic);
  }
}
