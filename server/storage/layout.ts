/**
 * Where things live in the BlobStore. Ingest writes through these keys and the image server reads
 * through them; neither imports the other.
 */
import type { BlobStore } from './blob-store.js';

export const imageKeys = (id: string) => ({
  dir: `images/${id}`,
  /** Format-1 images (before versions): the pyramid beside the record. */
  legacyPyramid: `images/${id}/pyramid.tif`,
  /** The scan as it arrived, byte for byte (images added before masters were named by content). */
  master: (ext: string) => `images/${id}/master.${ext}`,
  /**
   * The scan as it arrived, named by its content: a replacement is written beside the master it
   * replaces, never over it, so the record in force always points at the bytes it describes.
   */
  masterOf: (sha256: string, ext: string) => `images/${id}/master-${sha256.slice(0, 16)}.${ext}`,
  /**
   * ImageRecord JSON: the one pointer to the image's current version. Written last (atomically), so
   * its presence means the image is complete, and replacing it switches versions in one step.
   */
  record: `images/${id}/image.json`,
  /** One built version of the image's derivatives; a rebuild writes a new one beside it. */
  version: (version: string) => ({
    dir: `images/${id}/${version}`,
    /** Tiled pyramidal TIFF, JPEG tiles: what the image server reads. */
    pyramid: `images/${id}/${version}/pyramid.tif`,
    /** Pre-rendered whole-image sizes and the pyramid's edge tiles, JPEG files end to end (index in the record). */
    extras: `images/${id}/${version}/extras.bin`,
  }),
});

/** Current layout of stored derivatives: 2 = versioned folder, YCbCr JPEG tiles, pre-rendered sizes and edge tiles. */
export const PYRAMID_FORMAT = 2;

/** Version folder names: `v{format}-{start time, base 36}-{random}`. They sort by start time. */
const VERSION_NAME = /^v\d+-([0-9a-z]+)-[0-9a-f]+$/;

/** A new version folder name, never reused. */
export function newVersionName(random: string): string {
  return `v${PYRAMID_FORMAT}-${Date.now().toString(36)}-${random}`;
}

/** When the version named `name` was started (ms), or null when `name` is no version folder. */
export function versionStartedAt(name: string): number | null {
  const m = VERSION_NAME.exec(name);
  return m ? parseInt(m[1]!, 36) : null;
}

/** Reads an image record; null when the image does not exist (or is not complete). */
export async function readImageRecord(store: BlobStore, id: string): Promise<ImageRecord | null> {
  const key = imageKeys(id).record;
  if (!(await store.stat(key))) return null;
  return JSON.parse((await store.read(key)).toString()) as ImageRecord;
}

/** A JPEG held in a version's extras file. */
export interface ExtraJpeg {
  readonly offset: number;
  readonly length: number;
}

export interface StoredSize extends ExtraJpeg {
  readonly width: number;
  readonly height: number;
}

export interface StoredEdgeTile extends ExtraJpeg {
  readonly level: number;
  readonly col: number;
  readonly row: number;
}

/** Key of the pyramid an image record points to (format 1: beside the record). */
export function pyramidKey(record: ImageRecord): string {
  return record.version ? imageKeys(record.id).version(record.version).pyramid : imageKeys(record.id).legacyPyramid;
}

export interface ImageRecord {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly masterKey: string;
  readonly masterSha256: string;
  readonly masterBytes: number;
  readonly masterFormat: string;
  readonly originalName: string;
  readonly tileSize: number;
  readonly levels: number;
  readonly createdAt: string;
  /** Page of the master this image was made from (sharp's `page`); absent: 0, or unknown for format 1. */
  readonly page?: number;
  /** PYRAMID_FORMAT the derivatives were built with; absent: 1 (pyramid.tif beside the record, RGB tiles). */
  readonly format?: number;
  /** Folder of the current version under the image's folder; absent for format 1. */
  readonly version?: string;
  /** JPEG quality of the stored tiles and sizes. */
  readonly quality?: number;
  /** Pre-rendered whole-image sizes in the version's extras file, smallest first. */
  readonly sizes?: readonly StoredSize[];
  /** Edge tiles (right column, bottom row) at their true size, in the version's extras file. */
  readonly edgeTiles?: readonly StoredEdgeTile[];
}

/**
 * Identifiers are ours to mint, so we keep them to a safe alphabet: they become folder names.
 * (Image API §9: a client sends them URI-encoded; routes decode once before this check.)
 */
const IMAGE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const IMAGE_ID_RULE =
  'identifier must be 1–128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit';

export function isValidImageId(id: string): boolean {
  return IMAGE_ID.test(id) && !id.includes('..');
}

/**
 * An ingested item's pages are images named `{item}-p{n}`: the item's identifier leaves room for the
 * suffix of a page number up to 999 999 within the 128 characters of an image identifier.
 */
export const ITEM_ID_MAX = 120;

export const INGEST_ITEM_ID_RULE = `an ingested item's identifier is at most ${ITEM_ID_MAX} characters (its pages are named ID-p1, ID-p2, … within the 128 of an image identifier)`;

/** A valid identifier for an item whose page images will be derived from it. */
export function isValidIngestItemId(id: string): boolean {
  return isValidImageId(id) && id.length <= ITEM_ID_MAX;
}

/** OCR results of an image: ALTO as the engine wrote it, and lines/words as JSON for annotations. */
export const ocrKeys = (imageId: string) => ({
  alto: `ocr/${imageId}/alto.xml`,
  lines: `ocr/${imageId}/lines.json`,
});

/** Files kept per item: the original document (a PDF) an item was ingested from. */
export const itemKeys = (itemId: string) => ({
  original: (ext: string) => `items/${itemId}/original.${ext}`,
});

/** What OCR found on a page (stored at ocrKeys(imageId).lines), in canvas pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface OcrWord extends Box {
  readonly text: string;
  /** Word confidence 0–1 (ALTO WC). */
  readonly confidence: number | null;
}

export interface OcrLine extends Box {
  readonly text: string;
  readonly words: readonly OcrWord[];
}

/** How OCR words make a line's text: no space between them in Han and Nôm text, one elsewhere. */
export function wordJoiner(language: string): string {
  return /^(lzh|zh|ja|vi-Hani|tyz-Hani)/.test(language) ? '' : ' ';
}

export interface OcrPage {
  readonly width: number;
  readonly height: number;
  readonly language: string;
  readonly lines: readonly OcrLine[];
}

