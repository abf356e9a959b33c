/**
 * The image service, without HTTP: identifier + request → plan → bytes.
 * `prepare` does everything cheap (look-up, planning, validators), so that a conditional request can
 * be answered 304 before anything is decoded; `produce` then copies a tile, reads the cache, or renders.
 */
import { createHash } from 'node:crypto';
import type { Decision, Identity } from '../auth/policy.js';
import { denial } from '../auth/denial.js';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.js';
import type { CacheOutcome, DerivativeCache } from './cache.js';
import type { ApiVersion, ImageRequest } from './iiif-url.js';
import { infoJson2, infoJson3 } from './info.js';
import { CONTENT_TYPES, copyStored, storedCopy, type RenderOptions, type StoredCopy } from './pipeline.js';
import type { RenderPool } from './render-pool.js';
import { canonical, plan, planKey, rotatedBox, type ImagePlan, type Limits, type SourceInfo } from './plan.js';
import type { OpenFiles } from './open-files.js';
import type { ImageSource, StoredImage } from './source.js';

export type Outcome = CacheOutcome | StoredCopy;

/**
 * The authorisation seam (Cantaloupe's pre-authorise/authorise): asked with the identifier and identity
 * before anything is planned; a `reduced` answer caps the long side, checked again after planning.
 */
export type ImageAuthorizer = (imageId: string, identity: Identity) => Promise<Decision>;

/**
 * Which image an identifier names: the image, or its reduced variant (`ID~reduced` in URLs) — the same
 * pyramid from the first level whose long side is within the cap, served as an image of that size.
 */
export type Variant = { readonly kind: 'full' } | { readonly kind: 'reduced' };
export const FULL: Variant = Object.freeze({ kind: 'full' });
export const REDUCED_SUFFIX = '~reduced';

/** What an info.json request gets: the description, or a pointer to the reduced variant's. */
export type InfoAnswer =
  | { readonly kind: 'info'; readonly json: Record<string, unknown>; readonly etag: string; readonly modified: Date; readonly decision: Decision }
  | { readonly kind: 'reduced'; readonly decision: Decision };

export interface ImageServiceOptions {
  readonly limits: Limits;
  /** Without one, every image is served in full to anyone (tools, benchmarks). */
  readonly authorize?: ImageAuthorizer;
  /** Long side of the reduced variant. */
  readonly reducedMaxPx?: number;
  readonly render: RenderOptions;
  /** Where renders run (bounded, stoppable); copies and cache hits never go there. */
  readonly pool: RenderPool;
  /**
   * Pixels one render may decode and produce at most (the level region read, plus the output after
   * rotation): what a render's memory is made of. Over it: 400 `over_pixel_budget`.
   */
  readonly maxRenderPixels: number;
  /** Told how each image was produced (metrics). */
  readonly onOutcome?: (outcome: Outcome) => void;
}

export interface PreparedImage {
  readonly request: ImageRequest;
  readonly variant: Variant;
  readonly image: StoredImage;
  readonly plan: ImagePlan;
  readonly contentType: string;
  /** Canonical path after the identifier, for the Link header. */
  readonly canonicalPath: string;
  readonly etag: string;
  readonly modified: Date;
}

/** A stored file that is gone: ENOENT from fs, "Input file is missing" from sharp. */
function isMissingFile(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT' || /Input file is missing/.test((err as Error)?.message ?? '');
}

export class ImageService {
  private readonly files: OpenFiles;

  constructor(
    private readonly source: ImageSource,
    private readonly cache: DerivativeCache,
    private readonly options: ImageServiceOptions,
  ) {
    this.files = source.files;
  }

  /** Pre-authorise: the decision for this identity, before anything is read or planned. */
  private async preAuthorize(id: string, identity: Identity): Promise<Decision> {
    const d = this.options.authorize ? await this.options.authorize(id, identity) : ({ effect: 'allow' } as const);
    if (d.effect === 'deny') throw denial(d, () => new NotFoundError(`no image with identifier "${id}"`, 'unknown_image'));
    return d;
  }

  /**
   * The image information for this identity. A reader who may see only the reduced image and asks for
   * the full one is pointed to the reduced one (`kind: 'reduced'`: the route redirects, as IIIF Auth 1.0
   * §2.3 describes for degraded images). @throws NotFoundError, UnauthorizedError, ForbiddenError
   */
  async info(id: string, version: ApiVersion, baseUri: string, identity: Identity, variant: Variant = FULL): Promise<InfoAnswer> {
    const decision = await this.preAuthorize(id, identity);
    if (decision.effect === 'reduced' && variant.kind === 'full') return { kind: 'reduced', decision };
    return { kind: 'info', decision, ...(await this.describe(id, version, baseUri, variant)) };
  }

  /** info.json without asking anyone (the body of a 401, which IIIF Auth 1.0 clients read for its services). */
  async describe(id: string, version: ApiVersion, baseUri: string, variant: Variant = FULL): Promise<{ json: Record<string, unknown>; etag: string; modified: Date }> {
    const image = await this.source.get(id);
    const info = variant.kind === 'reduced' ? reducedInfo(image.info, this.reducedMaxPx).info : image.info;
    const json = (version === 3 ? infoJson3 : infoJson2)(baseUri, info, this.options.limits);
    const etag = `"${createHash('sha1').update(`${image.version}|${baseUri}|${variant.kind}|${JSON.stringify(this.options.limits)}`).digest('hex').slice(0, 20)}"`;
    return { json, etag, modified: image.modified };
  }

  private get reducedMaxPx(): number {
    return this.options.reducedMaxPx ?? 1200;
  }

  /**
   * @throws NotFoundError, BadRequestError (a request the image cannot satisfy), UnauthorizedError /
   * ForbiddenError (pre-authorise refused, or the plan is sharper than a reduced reader may see).
   */
  async prepare(req: ImageRequest, identity: Identity, variant: Variant = FULL): Promise<PreparedImage & { decision: Decision }> {
    const decision = await this.preAuthorize(req.id, identity);
    const prepared = await this.planFor(req, variant);
    // Authorise: a reduced reader asking the full image gets what is no sharper than the reduced one
    // (thumbnails and small views), nothing closer.
    if (decision.effect === 'reduced' && variant.kind === 'full') {
      const { plan: p, image } = prepared;
      const scale = Math.max(p.width / p.region.w, p.height / p.region.h);
      if (scale * Math.max(image.info.width, image.info.height) > decision.maxPx + 1) {
        throw denial({ effect: 'deny', reason: 'login', message: `sign in to see this image at more than ${decision.maxPx} px on its long side` });
      }
    }
    return { ...prepared, decision };
  }

  private async planFor(req: ImageRequest, variant: Variant): Promise<PreparedImage> {
    const image = await this.source.get(req.id);
    let p: ImagePlan;
    let canonicalPath: string;
    if (variant.kind === 'reduced') {
      const { info, shift } = reducedInfo(image.info, this.reducedMaxPx);
      const virtual = plan(req, info, this.options.limits);
      canonicalPath = canonical(virtual, req.version);
      p = toSourcePlan(virtual, shift, image.info);
    } else {
      p = plan(req, image.info, this.options.limits);
      canonicalPath = canonical(p, req.version);
    }
    const pixels = renderPixels(p);
    if (storedCopy(image, p) === null && pixels > this.options.maxRenderPixels) {
      throw new BadRequestError(
        'over_pixel_budget',
        `this request would make the server decode and produce ${pixels.toLocaleString('en')} pixels, over its budget of ${this.options.maxRenderPixels.toLocaleString('en')} a request: ask for a smaller region or size`,
      );
    }
    const etag = `"${createHash('sha1').update(`${planKey(p)}|${image.version}|${this.options.render.quality}`).digest('hex').slice(0, 20)}"`;
    return {
      request: req,
      variant,
      image,
      plan: p,
      contentType: CONTENT_TYPES[p.format],
      canonicalPath,
      etag,
      modified: image.modified,
    };
  }

  /**
   * @throws NotFoundError when the image went away meanwhile. A rebuild may switch the image and
   * remove the version this request looked up between `prepare` and here: then it is looked up again
   * and produced from the new version, once.
   */
  /** `wait`: the server's own work (an item's PDF) waits for room in the render queue rather than get 503. */
  async produce(prepared: PreparedImage, signal?: AbortSignal, how: { wait?: boolean } = {}): Promise<Buffer> {
    return (await this.produceServed(prepared, signal, how)).data;
  }

  /**
   * As `produce`, also saying which version was served (another than `prepared`'s after a rebuild).
   * `signal`: the client left; its render is dropped or stopped (ClientGoneError).
   * @throws ServiceUnavailableError when the render pool is full or the render ran out of time.
   */
  async produceServed(prepared: PreparedImage, signal?: AbortSignal, how: { wait?: boolean } = {}): Promise<{ data: Buffer; served: PreparedImage }> {
    try {
      return { data: await this.produceFrom(prepared, signal, how), served: prepared };
    } catch (err) {
      if (!isMissingFile(err)) throw err;
      this.source.forget(prepared.image.id);
      const served = await this.planFor(prepared.request, prepared.variant);
      return { data: await this.produceFrom(served, signal, how), served };
    }
  }

  private async produceFrom(prepared: PreparedImage, signal?: AbortSignal, how: { wait?: boolean } = {}): Promise<Buffer> {
    const { image, plan: p } = prepared;
    const copy = storedCopy(image, p);
    if (copy) {
      this.options.onOutcome?.(copy);
      return copyStored(image, p, copy, this.files);
    }
    const key = `${planKey(p)}|${image.version}|q${this.options.render.quality}`;
    const { data, outcome } = await this.cache.getOrRender(key, (stop) => this.options.pool.run(image, p, this.options.render, stop, how), signal);
    this.options.onOutcome?.(outcome);
    return data;
  }
}

/** Pixels a render decodes (the level region read) and produces (the output, after rotation). */
export function renderPixels(p: ImagePlan): number {
  const [w, h] = rotatedBox(p.width, p.height, p.rotation);
  return p.levelRegion.w * p.levelRegion.h + w * h;
}

/** The reduced variant: the pyramid from the first level whose long side is within `maxPx`. */
export function reducedInfo(src: SourceInfo, maxPx: number): { info: SourceInfo; shift: number } {
  let shift = 0;
  while (shift < src.levels.length - 1 && Math.max(src.levels[shift]!.width, src.levels[shift]!.height) > maxPx) shift++;
  const levels = src.levels.slice(shift);
  const top = levels[0]!;
  if (Math.max(top.width, top.height) > maxPx) throw new ForbiddenError('this image has no reduced form within the configured size', 'no_reduced_image');
  return {
    shift,
    info: { width: top.width, height: top.height, levels, sizes: (src.sizes ?? []).filter((s) => s.width <= top.width && s.height <= top.height), tileWidth: src.tileWidth, tileHeight: src.tileHeight },
  };
}

/**
 * A plan made against the reduced variant, in the stored image's terms: levels shift by `shift`, and the
 * region scales by 2^shift (clipped to the image). Tiles, edge tiles and pre-rendered sizes are the same
 * stored ones, so a reduced view is as cheap as a full one.
 */
function toSourcePlan(p: ImagePlan, shift: number, src: SourceInfo): ImagePlan {
  if (shift === 0) return p;
  const f = 2 ** shift;
  const x = Math.min(src.width - 1, p.region.x * f);
  const y = Math.min(src.height - 1, p.region.y * f);
  const fullRegion = p.fullRegion;
  const region = fullRegion ? { x: 0, y: 0, w: src.width, h: src.height } : { x, y, w: Math.min(src.width - x, p.region.w * f), h: Math.min(src.height - y, p.region.h * f) };
  return Object.freeze({ ...p, region, level: p.level + shift });
}
