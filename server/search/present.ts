/**
 * Search results as readers and clients see them: facet values named (libraries, collections, terms in
 * Vietnamese and English), items with their links, snippets with highlight offsets. Used by the JSON
 * API and the results page, so both show the same thing.
 */
import type { Archive, CatalogueResults } from '../archive/service.js';
import type { Identity } from '../auth/policy.js';
import { KIND_LABEL, LANGUAGE_LABEL, SCRIPT_LABEL } from '../presentation/labels.js';
import { thumbnailUrl } from '../presentation/manifest.js';
import type { PresentationUris } from '../presentation/uris.js';
import type { Facet, FacetCount } from './index.js';
import type { Snippet } from './match.js';
import { snippet } from './match.js';
import type { ParsedQuery } from './query.js';

export interface Label {
  readonly vi: string;
  readonly en: string;
}

export interface NamedCount extends FacetCount {
  readonly label: Label;
}

export type NamedFacets = Partial<Record<Facet, NamedCount[]>>;

/** Names of the values of the facets whose values are terms of ours (not libraries or collections). */
export const TERM_LABELS: Partial<Record<Facet, Record<string, Label>>> = {
  kind: KIND_LABEL,
  language: LANGUAGE_LABEL,
  script: SCRIPT_LABEL,
  hasText: {
    true: { vi: 'Có toàn văn', en: 'With full text' },
    false: { vi: 'Chưa có toàn văn', en: 'Without full text' },
  },
};

/** Names for facet values: libraries and collections by their names, terms from the label tables. */
export async function nameFacets(archive: Archive, who: Identity, facets: CatalogueResults['facets']): Promise<NamedFacets> {
  const libraries = new Map((await archive.libraries(who)).map((l) => [l.id, l.name]));
  const out: NamedFacets = {};
  for (const [facet, counts] of Object.entries(facets) as [Facet, FacetCount[]][]) {
    out[facet] = await Promise.all(
      counts.map(async (c) => {
        const name: { vi: string; en?: string | undefined } | undefined =
          facet === 'library'
            ? libraries.get(c.value)
            : facet === 'collection'
              ? (await archive.collection(who, c.value).catch(() => null))?.label
              : TERM_LABELS[facet]?.[c.value];
        return { ...c, label: { vi: name?.vi ?? c.value, en: name?.en ?? name?.vi ?? c.value } };
      }),
    );
  }
  return out;
}

/** A highlighted title: where the query occurs in each form of it. */
export function titleHits(title: { vi: string; original?: string | undefined; en?: string | undefined }, q: ParsedQuery): Record<string, Snippet['highlights']> {
  const out: Record<string, Snippet['highlights']> = {};
  for (const key of ['vi', 'original', 'en'] as const) {
    const text = title[key];
    if (!text || q.clauses.length === 0) continue;
    const s = snippet(text, q, 100_000);
    if (s.highlights.length > 0) out[key] = s.highlights;
  }
  return out;
}

/** The JSON of `GET /api/search`. */
export async function resultsJson(archive: Archive, who: Identity, uris: PresentationUris, results: CatalogueResults, q: ParsedQuery, paging: { page: number; size: number }) {
  return {
    query: q.text,
    total: results.total,
    page: paging.page,
    size: paging.size,
    pages: Math.ceil(results.total / paging.size),
    items: results.items.map((r) => {
      const s = r.summary;
      const manifest = uris.manifest(s.id);
      return {
        id: s.id,
        title: s.title,
        titleHighlights: titleHits(s.title, q),
        kind: s.kind,
        date: s.date ?? null,
        library: s.library,
        collection: s.collection,
        pages: s.pages,
        access: s.content,
        url: uris.itemPage(s.id),
        manifest,
        thumbnail: s.content === 'deny' ? null : thumbnailUrl(uris, s.firstImage, s.firstImageSize),
        recordMatched: r.recordMatched,
        pageHits: r.pageHits,
        snippets: r.pages.map((p) => ({
          canvas: p.canvas,
          canvasId: uris.canvas(s.id, p.canvas),
          text: p.snippet.text,
          highlights: p.snippet.highlights,
          reader: `${uris.viewer(manifest)}&canvas=${p.canvas}&q=${encodeURIComponent(q.text)}`,
        })),
      };
    }),
    facets: await nameFacets(archive, who, results.facets),
    years: results.years,
  };
}
