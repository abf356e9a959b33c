/**
 * IIIF Presentation 3 collections: a top collection of all libraries, one per library (its top-level
 * collections), one per collection (sub-collections, then its items' manifests). A collection with
 * more members than `pageSize` lists page collections (`?page=N`) instead, each holding one page of
 * members: plain Presentation 3 that every viewer can walk.
 */
import type { Archive } from '../archive/service.js';
import type { Identity } from '../auth/policy.js';
import { NotFoundError } from '../errors.js';
import { provider, thumbnail, type Json } from './manifest.js';
import { titleMap, viEn } from './labels.js';
import type { PresentationUris } from './uris.js';

const CONTEXT = 'http://iiif.io/api/presentation/3/context.json';

export async function topCollection(archive: Archive, identity: Identity, uris: PresentationUris): Promise<Json> {
  return {
    '@context': CONTEXT,
    id: uris.top(),
    type: 'Collection',
    label: { vi: ['Tất cả thư viện'], en: ['All libraries'] },
    items: (await archive.libraries(identity)).map((l) => ({ id: uris.library(l.id), type: 'Collection', label: viEn(l.name) })),
  };
}

export async function libraryCollection(archive: Archive, identity: Identity, uris: PresentationUris, id: string): Promise<Json> {
  const library = await archive.library(identity, id);
  return {
    '@context': CONTEXT,
    id: uris.library(id),
    type: 'Collection',
    label: viEn(library.name),
    provider: [provider(uris, library)],
    partOf: [{ id: uris.top(), type: 'Collection' }],
    items: (await archive.collections(identity, id, null)).map((c) => ({ id: uris.collection(c.id), type: 'Collection', label: viEn(c.label) })),
  };
}

/**
 * Members `offset … offset+limit` of a collection: its sub-collections first, then its items. Items whose
 * images the reader may not see are listed without a thumbnail.
 */
async function members(archive: Archive, identity: Identity, uris: PresentationUris, id: string, library: string, offset: number, limit: number) {
  const subs = await archive.collections(identity, library, id);
  const subRefs: Json[] = subs.slice(offset, offset + limit).map((c) => ({ id: uris.collection(c.id), type: 'Collection', label: viEn(c.label) }));
  const items = await archive.items(identity, id, Math.max(0, offset - subs.length), limit - subRefs.length);
  const itemRefs: Json[] = items.items.map((i) => ({
    id: uris.manifest(i.id),
    type: 'Manifest',
    label: titleMap(i.title),
    ...(i.content !== 'deny' ? { thumbnail: [thumbnail(uris, i.firstImage, i.firstImageSize)] } : {}),
  }));
  return { refs: [...subRefs, ...itemRefs], total: subs.length + items.total };
}

export async function collection(archive: Archive, identity: Identity, uris: PresentationUris, id: string, pageSize: number, page?: number): Promise<Json> {
  const col = await archive.collection(identity, id);
  const library = await archive.library(identity, col.library);
  const base: Json = {
    '@context': CONTEXT,
    type: 'Collection',
    label: viEn(col.label),
    ...(col.summary ? { summary: viEn(col.summary) } : {}),
    provider: [provider(uris, library)],
  };
  const total = (await members(archive, identity, uris, id, col.library, 0, 0)).total;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const parent = col.parent ? uris.collection(col.parent) : uris.library(col.library);

  if (page === undefined) {
    if (total <= pageSize) {
      return { ...base, id: uris.collection(id), partOf: [{ id: parent, type: 'Collection' }], items: (await members(archive, identity, uris, id, col.library, 0, pageSize)).refs };
    }
    return {
      ...base,
      id: uris.collection(id),
      partOf: [{ id: parent, type: 'Collection' }],
      items: Array.from({ length: pages }, (_, i) => ({
        id: `${uris.collection(id)}?page=${i + 1}`,
        type: 'Collection',
        label: { vi: [`${col.label.vi} — trang ${i + 1}/${pages}`], en: [`${col.label.en ?? col.label.vi} — page ${i + 1} of ${pages}`] },
      })),
    };
  }
  if (page < 1 || page > pages) throw new NotFoundError(`collection "${id}" has ${pages} page(s); there is no page ${page}`, 'unknown_page');
  return {
    ...base,
    id: `${uris.collection(id)}?page=${page}`,
    label: { vi: [`${col.label.vi} — trang ${page}/${pages}`], en: [`${col.label.en ?? col.label.vi} — page ${page} of ${pages}`] },
    partOf: [{ id: uris.collection(id), type: 'Collection' }],
    items: (await members(archive, identity, uris, id, col.library, (page - 1) * pageSize, pageSize)).refs,
  };
}
