/**
 * Every URI the presentation layer mints, under one base, so they stay stable. The version and the
 * kind of resource are path segments, so no identifier can collide with another route:
 *   /iiif/presentation/3/items/{item}/manifest     /iiif/presentation/3/collections/{id}
 *   /iiif/presentation/3/libraries/{id}            /iiif/presentation/3/top
 * and the same under /iiif/presentation/2/ for Presentation 2.1.
 */
export function presentationUris(base: string) {
  const p = `${base}/iiif/presentation/3`;
  return {
    manifest: (item: string) => `${p}/items/${item}/manifest`,
    canvas: (item: string, n: number) => `${p}/items/${item}/canvas/${n}`,
    paintingPage: (item: string, n: number) => `${p}/items/${item}/canvas/${n}/page`,
    painting: (item: string, n: number) => `${p}/items/${item}/canvas/${n}/page/image`,
    range: (item: string, path: string) => `${p}/items/${item}/range/${path}`,
    ocrPage: (item: string, n: number, granularity: 'line' | 'word') => `${p}/items/${item}/canvas/${n}/ocr/${granularity}`,
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
  };
}

export type PresentationUris = ReturnType<typeof presentationUris>;
