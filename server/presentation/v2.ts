/**
 * Presentation 3 → 2.1, for partners whose viewers are old (Mirador 2, older Universal Viewer).
 * Works on the v3 JSON we produce (not arbitrary v3): manifests and collections, their descriptive
 * properties, canvases with their images and v2 image services, ranges, member lists, and the
 * Content Search 1.0 service.
 */
import { AUTOCOMPLETE1_PROFILE, SEARCH1_CONTEXT, SEARCH1_PROFILE } from '../search/content-search.js';
import type { Json } from './manifest.js';
import type { PresentationUris } from './uris.js';

export const CONTEXT_P2 = 'http://iiif.io/api/presentation/2/context.json';
const IMAGE2_CONTEXT = 'http://iiif.io/api/image/2/context.json';
const IMAGE2_PROFILE = 'http://iiif.io/api/image/2/level2.json';

type LanguageMap = Record<string, string[]>;
type V2Value = string | { '@value': string; '@language': string }[];

/** A v3 language map as a 2.1 value: a plain string when it has no language, else tagged values. */
function value(map: unknown): V2Value | undefined {
  if (!map || typeof map !== 'object') return undefined;
  const entries = Object.entries(map as LanguageMap).flatMap(([lang, values]) => values.map((v) => ({ lang, v })));
  if (entries.length === 0) return undefined;
  if (entries.every((e) => e.lang === 'none')) return entries.map((e) => e.v).join('; ');
  return entries.map((e) => ({ '@value': e.v, '@language': e.lang === 'none' ? 'und' : e.lang }));
}

/** Plain text for places where 2.1 viewers expect a string (canvas labels). */
function text(map: unknown): string {
  const v = value(map);
  return typeof v === 'string' ? v : (v?.[0]?.['@value'] ?? '');
}

const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

function imageService2(serviceId: string): Json {
  return { '@context': IMAGE2_CONTEXT, '@id': serviceId.replace('/iiif/3/', '/iiif/2/'), profile: IMAGE2_PROFILE };
}

function resource(r: Json | undefined): Json | undefined {
  if (!r) return undefined;
  const out: Json = { '@id': r.id, format: r.format };
  if (r.label) out.label = value(r.label);
  if (r.profile) out.profile = r.profile;
  return out;
}

function thumbnail(t: Json | undefined): Json | undefined {
  if (!t) return undefined;
  const service = arr(t.service)[0];
  return { '@id': t.id, '@type': 'dctypes:Image', format: t.format, ...(service ? { service: imageService2(String(service.id)) } : {}) };
}

function descriptive(v3: Json, uris: PresentationUris): Json {
  const out: Json = { label: value(v3.label) };
  if (v3.summary) out.description = value(v3.summary);
  if (v3.metadata) out.metadata = arr(v3.metadata).map((m) => ({ label: value(m.label), value: value(m.value) }));
  const required = v3.requiredStatement as Json | undefined;
  if (required) out.attribution = value(required.value);
  if (v3.rights) out.license = v3.rights;
  const logo = arr(arr(v3.provider)[0]?.logo)[0];
  if (logo) out.logo = thumbnail(logo);
  if (v3.thumbnail) out.thumbnail = thumbnail(arr(v3.thumbnail)[0]);
  if (v3.homepage) out.related = resource(arr(v3.homepage)[0]);
  if (v3.rendering) out.rendering = resource(arr(v3.rendering)[0]);
  if (v3.seeAlso) out.seeAlso = resource(arr(v3.seeAlso)[0]);
  const within = arr(v3.partOf)[0];
  if (within) out.within = uris.v2(String(within.id));
  return out;
}

function canvas(c: Json): Json {
  const paintings = arr(c.items).flatMap((page) => arr(page.items));
  return {
    '@id': c.id,
    '@type': 'sc:Canvas',
    label: text(c.label),
    width: c.width,
    height: c.height,
    images: paintings.map((a) => {
      const body = a.body as Json;
      const s2 = arr(body.service).find((s) => s['@type'] === 'ImageService2');
      const s3 = arr(body.service).find((s) => s.type === 'ImageService3');
      const service = s2 ? { '@context': IMAGE2_CONTEXT, '@id': s2['@id'], profile: s2.profile } : s3 ? imageService2(String(s3.id)) : undefined;
      return {
        '@id': a.id,
        '@type': 'oa:Annotation',
        motivation: 'sc:painting',
        on: c.id,
        resource: {
          '@id': service ? `${service['@id']}/full/full/0/default.jpg` : body.id,
          '@type': 'dctypes:Image',
          format: body.format,
          width: body.width,
          height: body.height,
          ...(service ? { service } : {}),
        },
      };
    }),
    ...(c.annotations ? { otherContent: arr(c.annotations).map((p) => ({ '@id': p.id, '@type': 'sc:AnnotationList' })) } : {}),
  };
}

function ranges(list: Json[]): Json[] {
  return list.flatMap((r) => {
    const children = arr(r.items).filter((i) => i.type === 'Range');
    return [
      {
        '@id': r.id,
        '@type': 'sc:Range',
        label: text(r.label),
        canvases: arr(r.items).filter((i) => i.type === 'Canvas').map((i) => i.id),
        ...(children.length > 0 ? { ranges: children.map((i) => i.id) } : {}),
      },
      ...ranges(children),
    ];
  });
}

const HINT: Record<string, string> = { paged: 'paged', individuals: 'individuals', continuous: 'continuous' };

/** Content Search 1.0 as 2.1 viewers expect it (Search 1.0 §3.1, §4.1): one object, with its context. */
function searchService(v3: Json): Json | undefined {
  const s = arr(v3.service).find((x) => x.profile === SEARCH1_PROFILE);
  if (!s) return undefined;
  const autocomplete = arr(s.service).find((x) => x.profile === AUTOCOMPLETE1_PROFILE);
  return {
    '@context': SEARCH1_CONTEXT,
    '@id': s['@id'],
    profile: SEARCH1_PROFILE,
    ...(autocomplete ? { service: { '@id': autocomplete['@id'], profile: AUTOCOMPLETE1_PROFILE } } : {}),
  };
}

export function manifestToV2(v3: Json, uris: PresentationUris): Json {
  const behavior = arr(v3.behavior)[0] as unknown as string | undefined;
  const search = searchService(v3);
  return {
    '@context': CONTEXT_P2,
    '@id': uris.v2(String(v3.id)),
    '@type': 'sc:Manifest',
    ...descriptive(v3, uris),
    ...(v3.viewingDirection ? { viewingDirection: v3.viewingDirection } : {}),
    ...(behavior && HINT[behavior] ? { viewingHint: HINT[behavior] } : {}),
    ...(search ? { service: search } : {}),
    sequences: [
      {
        '@id': `${uris.v2(String(v3.id))}/sequence/normal`,
        '@type': 'sc:Sequence',
        ...(v3.viewingDirection ? { viewingDirection: v3.viewingDirection } : {}),
        canvases: arr(v3.items).map(canvas),
      },
    ],
    ...(v3.structures ? { structures: ranges(arr(v3.structures)) } : {}),
  };
}

export function collectionToV2(v3: Json, uris: PresentationUris): Json {
  const members = arr(v3.items);
  const ref = (m: Json) => ({ '@id': uris.v2(String(m.id)), '@type': m.type === 'Manifest' ? 'sc:Manifest' : 'sc:Collection', label: text(m.label) });
  return {
    '@context': CONTEXT_P2,
    '@id': uris.v2(String(v3.id)),
    '@type': 'sc:Collection',
    ...descriptive(v3, uris),
    collections: members.filter((m) => m.type === 'Collection').map(ref),
    manifests: members.filter((m) => m.type === 'Manifest').map(ref),
  };
}
