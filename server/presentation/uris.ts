/**
 * Every URI the presentation layer mints, under one base, so they stay stable. The version and the
 * kind of resource are path segments, so no identifier can collide with another route:
 *   /iiif/presentation/3/items/{item}/manifest     /iiif/presentation/3/collections/{id}
 *   /iiif/presentation/3/libraries/{id}            /iiif/presentation/3/top
 * and the same under /iiif/presentation/2/ for Presentation 2.1; IIIF Content Search under
 * /iiif/search/{1|2}/items/{item}[/autocomplete].
 */
export function presentationUris(base: string) {
  const p = `${base}/iiif/presentation/3`;
  return {
    manifest: (item: string) => `${p}/items/${item}/manifest`,
    canvas: (item: string, n: number) => `${p}/items/${item}/canvas/${n}`,
    paintingPage: (item: string, n: number) => `${p}/items/${item}/canvas/${n}/page`,
    painting: (item: string, n: number) => `${p}/items/${item}/canvas/${n}/page/image`,
    range: (item: string, path: string) => `${p}/items/${item}/range/${path}`,
    ocrPage: (item: string, n: number, granularity: 'line' | 'word' | 'reading') => `${p}/items/${item}/canvas/${n}/ocr/${granularity}`,
    alto: (item: string, n: number) => `${base}/items/${item}/canvas/${n}/alto.xml`,
    top: () => `${p}/top`,
    collection: (id: string) => `${p}/collections/${id}`,
    library: (id: string) => `${p}/libraries/${id}`,
    /** The 2.1 twin of a v3 URI. */
    v2: (v3Uri: string) => v3Uri.replace(`${p}/`, `${base}/iiif/presentation/2/`),
    image3: (id: string) => `${base}/iiif/3/${id}`,
    image2: (id: string) => `${base}/iiif/2/${id}`,
    itemPage: (item: string) => `${base}/items/${item}`,
    libraryPage: (id: string) => `${base}/libraries/${id}`,
    pdf: (item: string) => `${base}/items/${item}/pdf`,
    dublinCore: (item: string) => `${base}/items/${item}/dc.xml`,
    viewer: (manifest: string) => `${base}/viewer?manifest=${encodeURIComponent(manifest)}`,
    /** IIIF Content Search 1.0 (Mirador reads only this one) and 2.0 of an item, each with its autocomplete. */
    search1: (item: string) => `${base}/iiif/search/1/items/${item}`,
    autocomplete1: (item: string) => `${base}/iiif/search/1/items/${item}/autocomplete`,
    search2: (item: string) => `${base}/iiif/search/2/items/${item}`,
    autocomplete2: (item: string) => `${base}/iiif/search/2/items/${item}/autocomplete`,
    /**
     * Annotations of search results, named by what they select (UTF-16 offsets [start, end) in the page's
     * recognised text), so the same region has the same URI in every response: `text/…` a line's part of
     * a match (1.0 resources, 2.0 items), `match/…` the whole match (2.0 contextualizing annotations).
     * Identifiers only: they are not served.
     */
    searchText: (item: string, n: number, start: number, end: number) => `${base}/iiif/search/items/${item}/canvas/${n}/text/${start}-${end}`,
    searchMatch: (item: string, n: number, start: number, end: number) => `${base}/iiif/search/items/${item}/canvas/${n}/match/${start}-${end}`,
  };
}

export type PresentationUris = ReturnType<typeof presentationUris>;
