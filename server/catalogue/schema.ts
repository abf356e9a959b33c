/**
 * What the catalogue accepts, as zod schemas: the only way in. A description follows what Vietnamese
 * libraries record — Dublin Core plus titles in the original script, the date as written with a
 * normalised year range, language and script, call number, rights, access level, and how to page it.
 */
import { z } from 'zod';
import { ACCESS_LEVELS } from '../auth/policy.js';
import { IMAGE_ID_RULE, isValidImageId } from '../storage/layout.js';

export const Id = z.string().refine(isValidImageId, IMAGE_ID_RULE);
/** Text as readers search and highlight it: NFC (Unikey's "tổ hợp" mode and macOS send NFD). */
const Text = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .transform((s) => s.normalize('NFC'));

/**
 * Access level of a library, collection or item: null inherits from the collection above, then the
 * library (public when nothing sets one). `restricted`, the one restricted level before access rights
 * were enforced, is read as `researcher`.
 */
export const AccessLevelSchema = z.preprocess((v) => (v === 'restricted' ? 'researcher' : v), z.enum(ACCESS_LEVELS).nullable()).default(null);
/** An embargo's last closed day is the day before this date (YYYY-MM-DD); null: none set here. */
export const EmbargoSchema = z.iso.date('must be a date like 2030-01-31').nullable().default(null);
const Access = { accessLevel: AccessLevelSchema, embargoUntil: EmbargoSchema };

/** Text in Vietnamese, optionally English. */
export const ViEn = z.object({ vi: Text, en: Text.optional() }).strict();

export const LibrarySchema = z
  .object({
    id: Id,
    /** The province library has none; a district library names the province library. */
    parent: Id.nullable().default(null),
    name: ViEn,
    // http(s) only: it becomes a link on the site's pages.
    homepage: z.url({ protocol: /^https?$/ }).optional(),
    /** How readers reach the library (the contact page): postal address, e-mail, telephone. */
    address: z.string().trim().min(1).max(300).optional(),
    email: z.email().optional(),
    phone: z.string().trim().regex(/^[+0-9 ().-]{3,40}$/, 'digits, spaces, + ( ) . - only').optional(),
    /** Identifier of an image in our image store, shown as the library's logo. */
    logo: Id.optional(),
    ...Access,
  })
  .strict();

export const CollectionSchema = z
  .object({
    id: Id,
    library: Id,
    parent: Id.nullable().default(null),
    label: ViEn,
    summary: ViEn.optional(),
    position: z.number().int().min(0).default(0),
    ...Access,
  })
  .strict();

export const ITEM_KINDS = ['manuscript', 'woodblock', 'book', 'map', 'newspaper', 'photo'] as const;
export { ACCESS_LEVELS };
/** Quốc ngữ, Hán (classical Chinese characters), Nôm, Tày Nôm. */
export const SCRIPTS = ['latn', 'han', 'nom', 'tay-nom'] as const;

const RIGHTS = /^https?:\/\/(rightsstatements\.org\/vocab\/[A-Za-z-]+\/1\.0\/|creativecommons\.org\/(licenses|publicdomain)\/[a-z-]+\/[0-9.]+\/)$/;

export const DescriptionSchema = z
  .object({
    title: z
      .object({
        vi: Text,
        /** The title in its original script (Hán-Nôm). */
        original: Text.optional(),
        /** BCP 47 tag of `original`: `lzh` (Hán văn), `vi-Hani` (Nôm), `tyz-Hani` (Tày Nôm)… */
        originalLanguage: z.string().regex(/^[a-z]{2,3}(-[A-Za-z]{4})?$/, 'must be a language tag like lzh or vi-Hani').default('lzh'),
        en: Text.optional(),
      })
      .strict(),
    alternativeTitles: z.array(Text).default([]),
    creators: z.array(Text).default([]),
    date: z
      .object({
        /** As written on the item, e.g. "Tự Đức năm thứ 5". */
        text: Text,
        from: z.number().int().min(-3000).max(2100).optional(),
        to: z.number().int().min(-3000).max(2100).optional(),
      })
      .strict()
      .refine((d) => d.from === undefined || d.to === undefined || d.from <= d.to, { message: 'from must not be after to', path: ['to'] })
      .optional(),
    /** BCP 47 / ISO 639: vi, lzh, tyz (Tày), ja… */
    languages: z.array(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language code like vi, lzh or tyz')).min(1),
    scripts: z.array(z.enum(SCRIPTS)).default([]),
    subjects: z.array(Text).default([]),
    places: z.array(Text).default([]),
    /** DCMI type. */
    type: z.enum(['Text', 'StillImage', 'Image', 'PhysicalObject', 'Collection']).default('Text'),
    extent: Text.optional(),
    callNumber: Text.optional(),
    /**
     * rightsstatements.org or Creative Commons URI, stored in the `http://` form those vocabularies
     * define (Presentation 3 §3.3.1 `rights`; the official schema checks for it).
     */
    rights: z
      .string()
      .regex(RIGHTS, 'must be a rightsstatements.org or creativecommons.org URI')
      .transform((uri) => uri.replace(/^https:/, 'http:')),
    summary: ViEn.optional(),
    /** Where the scan comes from, when it is not our own. */
    source: Text.optional(),
    viewingDirection: z.enum(['left-to-right', 'right-to-left', 'top-to-bottom', 'bottom-to-top']).default('left-to-right'),
    behavior: z.enum(['paged', 'individuals', 'continuous']).default('individuals'),
  })
  .strict();

export interface RangeInput {
  label: z.infer<typeof ViEn>;
  /** 1-based page numbers. */
  canvases: number[];
  ranges?: RangeInput[];
}

export const RangeSchema: z.ZodType<RangeInput> = z.lazy(() =>
  z
    .object({
      label: ViEn,
      canvases: z.array(z.number().int().min(1)).default([]),
      ranges: z.array(RangeSchema).optional(),
    })
    .strict(),
) as z.ZodType<RangeInput>;

export const ItemSchema = z
  .object({
    id: Id,
    collection: Id,
    kind: z.enum(ITEM_KINDS),
    ...Access,
    description: DescriptionSchema,
    canvases: z
      .array(z.object({ image: Id, label: Text.optional() }).strict())
      .min(1, 'an item needs at least one page'),
    structures: z.array(RangeSchema).default([]),
  })
  .strict();

export type LibraryInput = z.input<typeof LibrarySchema>;
export type Library = z.output<typeof LibrarySchema>;
export type CollectionInput = z.input<typeof CollectionSchema>;
export type Collection = z.output<typeof CollectionSchema>;
export type ItemInput = z.input<typeof ItemSchema>;
export type Description = z.output<typeof DescriptionSchema>;
export type Range = RangeInput;
