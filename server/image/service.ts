/**
 * The image service, without HTTP: identifier + request → plan → bytes.
 * `prepare` does everything cheap (look-up, planning, validators), so that a conditional request can
 * be answered 304 before anything is decoded; `produce` then copies a tile, reads the cache, or renders.
 */
import { createHash } from 'node:crypto';
import type { CacheOutcome, DerivativeCache } from './cache.js';
import type { ApiVersion, ImageRequest } from './iiif-url.js';
import { infoJson2, infoJson3 } from './info.js';
import { CONTENT_TYPES, copyStored, render, storedCopy, type RenderOptions, type StoredCopy } from './pipeline.js';
import { canonical, plan, planKey, type ImagePlan, type Limits } from './plan.js';
import type { OpenFiles } from './open-files.js';
import type { ImageSource, StoredImage } from './source.js';

export type Outcome = CacheOutcome | StoredCopy;

export interface ImageServiceOptions {
  readonly limits: Limits;
  readonly render: RenderOptions;
  /** Told how each image was produced (metrics). */
  readonly onOutcome?: (outcome: Outcome) => void;
}

export interface PreparedImage {
  readonly request: ImageRequest;
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

  /** @throws NotFoundError */
  async info(id: string, version: ApiVersion, baseUri: string): Promise<{ json: Record<string, unknown>; etag: string; modified: Date }> {
    const image = await this.source.get(id);
    const json = (version === 3 ? infoJson3 : infoJson2)(baseUri, image.info, this.options.limits);
    const etag = `"${createHash('sha1').update(`${image.version}|${baseUri}|${JSON.stringify(this.options.limits)}`).digest('hex').slice(0, 20)}"`;
    return { json, etag, modified: image.modified };
  }

  /** @throws NotFoundError, BadRequestError (a request the image cannot satisfy) */
  async prepare(req: ImageRequest): Promise<PreparedImage> {
    const image = await this.source.get(req.id);
    const p = plan(req, image.info, this.options.limits);
    const etag = `"${createHash('sha1').update(`${planKey(p)}|${image.version}|${this.options.render.quality}`).digest('hex').slice(0, 20)}"`;
    return {
      request: req,
      image,
      plan: p,
      contentType: CONTENT_TYPES[p.format],
      canonicalPath: canonical(p, req.version),
      etag,
      modified: image.modified,
    };
  }

  /**
   * @throws NotFoundError when the image went away meanwhile. A rebuild may switch the image and
   * remove the version this request looked up between `prepare` and here: then it is looked up again
   * and produced from the new version, once.
   */
  async produce(prepared: PreparedImage): Promise<Buffer> {
    return (await this.produceServed(prepared)).data;
  }

  /** As `produce`, also saying which version was served (another than `prepared`'s after a rebuild). */
  async produceServed(prepared: PreparedImage): Promise<{ data: Buffer; served: PreparedImage }> {
    try {
      return { data: await this.produceFrom(prepared), served: prepared };
    } catch (err) {
      if (!isMissingFile(err)) throw err;
      this.source.forget(prepared.image.id);
      const served = await this.prepare(prepared.request);
      return { data: await this.produceFrom(served), served };
    }
  }

  private async produceFrom(prepared: PreparedImage): Promise<Buffer> {
    const { image, plan: p } = prepared;
    const copy = storedCopy(image, p);
    if (copy) {
      this.options.onOutcome?.(copy);
      return copyStored(image, p, copy, this.files);
    }
    const key = `${planKey(p)}|${image.version}|q${this.options.render.quality}`;
    const { data, outcome } = await this.cache.getOrRender(key, () => render(image, p, this.options.render, this.files));
    this.options.onOutcome?.(outcome);
    return data;
  }
}
