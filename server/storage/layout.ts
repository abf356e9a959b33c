/**
 * Where things live in the BlobStore. Ingest writes through these keys and the image server reads
 * through them; neither imports the other.
 */
export const imageKeys = (id: string) => ({
  dir: `images/${id}`,
  /** Tiled pyramidal TIFF, JPEG tiles: what the image server reads. */
  pyramid: `images/${id}/pyramid.tif`,
  /** The scan as it arrived, byte for byte. */
  master: (ext: string) => `images/${id}/master.${ext}`,
  /** ImageRecord JSON; written last, so its presence means the image is complete. */
  record: `images/${id}/image.json`,
});

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

export interface OcrPage {
  readonly width: number;
  readonly height: number;
  readonly language: string;
  readonly lines: readonly OcrLine[];
}

