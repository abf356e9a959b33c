/**
 * The only reader of configuration: `config/default.json`, then an optional JSON file named by
 * `VANKHO_CONFIG`, then `VANKHO_*` environment variables, then programmatic overrides (tests).
 * Parsed once with zod; every problem is reported at once, each naming its key.
 *
 * Environment names are the key path in SCREAMING_SNAKE_CASE: `image.maxArea` → `VANKHO_IMAGE_MAX_AREA`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './errors.js';

const positiveInt = z.number().int().positive();

export const ConfigSchema = z
  .object({
    server: z.object({
      host: z.string().min(1),
      port: z.number().int().min(0).max(65535),
      /** Base of every absolute URI we emit (info.json ids, Link headers). Empty: taken from the request. */
      publicBaseUrl: z.union([z.literal(''), z.url().regex(/[^/]$/, 'must not end with /')]),
      /**
       * Addresses or CIDR ranges of the reverse proxies in front of us ("loopback" for one on this
       * machine). Only a request arriving from one of them may set the client address, scheme and host
       * with X-Forwarded-For/-Proto/-Host; from anyone else those headers are ignored. Empty: none.
       */
      /**
       * Host names answered when publicBaseUrl is empty (http/allowed-hosts.ts); empty: the bind
       * address, this machine's addresses when bound to all, and localhost.
       */
      allowedHosts: z.array(z.string().min(1).regex(/^[a-zA-Z0-9.:-]+$/, 'must be a host name or an address, without port')),
      /** How long a connection may hold the server (http/timeouts.ts). */
      timeouts: z.object({
        headersSeconds: z.number().positive().max(600),
        keepAliveSeconds: z.number().positive().max(600),
        idleSeconds: z.number().positive().max(3600),
        bodyMinBytesPerSecond: z.number().int().min(1),
        bodyGraceSeconds: z.number().int().min(1).max(600),
      }),
      trustProxy: z.preprocess(
        (v) => (v === false ? [] : v),
        z.array(z.string().regex(/^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/, 'must be an address, a CIDR range or loopback')),
      ),
    }),
    storage: z.object({ root: z.string().min(1) }),
    image: z.object({
      tileSize: z.union([z.literal(256), z.literal(512)]),
      pyramidQuality: z.number().int().min(1).max(100),
      outputQuality: z.number().int().min(1).max(100),
      background: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #ffffff'),
      maxWidth: positiveInt,
      maxHeight: positiveInt,
      maxArea: positiveInt,
      /** Decompression-bomb guard: inputs whose header claims more pixels are refused before decoding. */
      maxInputPixels: positiveInt,
      maxFileBytes: positiveInt,
      /** Pixels one render may decode plus produce (image/service.ts renderPixels). */
      maxRenderPixels: positiveInt,
      /** The render pool (image/render-pool.ts): processes (0: one per core), waiting renders at most (0: sixteen per process), seconds a render may take. */
      render: z.object({
        workers: z.number().int().min(0).max(64),
        queue: z.number().int().min(0).max(10_000),
        timeoutSeconds: z.number().positive().max(3600),
      }),
    }),
    cache: z.object({
      maxBytes: z.number().int().min(0),
      cacheControl: z.string(),
    }),
    presentation: z.object({
      /** Collections with more members are split into page collections. */
      collectionPageSize: z.number().int().min(1).max(10_000),
    }),
    api: z.object({
      /** Bearer key that acts as an administrator (scripts, migrations); empty: none. Compared in constant time. */
      staffKey: z.union([z.literal(''), z.string().min(16, 'must be at least 16 characters')]),
      maxBodyBytes: z.number().int().positive(),
    }),
    ingest: z.object({
      /** Pages worked on at once; OCR takes one core per page. */
      concurrency: z.number().int().min(1).max(64),
      maxPdfPages: z.number().int().min(1),
      /** Resolution for PDF pages that must be rasterised. */
      pdfDpi: z.number().int().min(72).max(1200),
      /** Rights of ingested items whose metadata gives none. */
      defaultRights: z.string().regex(/^http:\/\/(rightsstatements\.org|creativecommons\.org)\//, 'must be a rightsstatements.org or creativecommons.org URI (http form)'),
      maxUploadBytes: z.number().int().positive(),
      malwareScan: z.object({
        enabled: z.boolean(),
        command: z.enum(['clamscan', 'clamdscan']),
        /** Signature database (folder or file) for clamscan; empty: freshclam's. */
        database: z.string(),
      }),
      /** How long files kept for staff are kept (ingest/retention.ts). */
      retention: z.object({
        /** Uploads (storage/uploads/), counted from the end of their job; 0: removed once it ends. */
        uploadsDays: z.number().min(0),
        /** Refused files and their reasons (storage/quarantine/), counted from their job's end. */
        quarantineDays: z.number().min(0),
      }),
    }),
    access: z.object({
      /** Long side, in pixels, of the images anonymous readers get of `public-reduced` items. */
      // At least 512: a pyramid's smallest level fits in one tile (≤ 512 px), so a reduced image within
      // the cap always exists.
      reducedMaxPx: z.number().int().min(512, 'must be at least 512 (the largest tile size)').max(100_000),
      /** Client address ranges (CIDR) of the libraries' reading rooms, after trustProxy is applied. */
      readingRoom: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be a CIDR range like 10.20.0.0/24')),
      /** Images that no item shows: served to anyone (`public`) or to staff only. */
      unattachedImages: z.enum(['public', 'staff']),
      /**
       * Partner sites (origins, like https://thuvien.example.org) whose pages may embed our reader with
       * sign-in: restricted items work there through IIIF Authorization. Any site may embed public items.
       */
      embedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin like https://thuvien.example.org')),
    }),
    /**
     * Prometheus metrics: `port` null — at /metrics of the site, administrators only (the staff key or
     * an admin's sign-in); a port — on a listener of their own at host:port, open (keep it private).
     */
    metrics: z.object({
      host: z.string().min(1),
      port: z.number().int().min(0).max(65535).nullable(),
    }),
    /** Security headers of HTML pages (http/security-headers.ts). */
    security: z.object({
      /** Sites that may frame the embeddable reader (/viewer): origins, or ["*"] for any. */
      viewerFrameAncestors: z.array(z.union([z.literal('*'), z.string().regex(/^https?:\/\/[^/\s;,']+$/, 'must be an origin like https://thuvien.example.org, or *')])),
      /** Partners' origins whose image services and manifests the reading room loads (harvested items). */
      imageOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s;,']+$/, 'must be an origin like https://iiif.example.org')),
    }),
    auth: z.object({
      /**
       * `embedded`: the OpenID provider inside this server (local accounts in the catalogue database);
       * `oidc`: an external one such as Keycloak at `issuer`.
       */
      provider: z.enum(['embedded', 'oidc']),
      issuer: z.union([z.literal(''), z.url()]),
      clientId: z.string().min(1),
      /** Client secret at the external provider (the embedded one makes its own). */
      clientSecret: z.string(),
      /** `aud` that bearer access tokens must carry. */
      audience: z.string().min(1),
      /** Signed-in session lifetime, seconds (idle sessions end sooner: see idleSeconds). */
      sessionSeconds: z.number().int().min(60),
      idleSeconds: z.number().int().min(60),
      /** Lifetime of IIIF Authorization access tokens, seconds (short: they live in the viewer's memory). */
      iiifTokenSeconds: z.number().int().min(30).max(86_400),
      /** Readers may open a library card account online. */
      registration: z.boolean(),
      /** Sign-in and registration attempts allowed per client address per 15 minutes. */
      attemptsPer15Min: z.number().int().min(1),
      mail: z.object({
        /** smtp://user:pass@host:port; empty: mail is written to the log (an outbox), not sent. */
        smtpUrl: z.string(),
        from: z.string().min(3),
      }),
    }),
    search: z.object({
      /**
       * Elasticsearch instead of the embedded index (SQLite FTS5) when `url` is set. Clusters 8.x and
       * 9.x (the 8.19 client sends ES 9 its compatibility header).
       */
      elasticsearch: z.object({
        url: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
        /** Alias that searches read; each rebuild writes `<index>-<timestamp>` and moves the alias to it. */
        index: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,100}$/, 'must be a lower-case Elasticsearch index name'),
        /** Basic authentication, or an API key (base64 id:key); empty: none. */
        username: z.string(),
        password: z.string(),
        apiKey: z.string(),
        /** PEM file of the CA that signed the cluster's certificate; empty: the system's. */
        caFile: z.string(),
        requestTimeoutMs: z.number().int().min(100).max(600_000),
      }),
    }),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) }),
    demo: z.object({ enabled: z.boolean() }),
  })
  .strict();

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

const here = path.dirname(fileURLToPath(import.meta.url));
/** The checkout: sources run from server/, compiled code from dist/server/. */
export const projectRoot = path.resolve(here, path.basename(path.dirname(here)) === 'dist' ? '../..' : '..');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? merge(b, v) : v;
  }
  return out;
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Leaf key paths of the default config, with their env names. */
function leaves(obj: JsonObject, prefix: string[] = []): { path: string[]; env: string; sample: Json }[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    isObject(v)
      ? leaves(v, [...prefix, k])
      : [{ path: [...prefix, k], env: `VANKHO_${[...prefix, k].map(snake).join('_')}`, sample: v }],
  );
}

/** An env string becomes the type of the default value where it parses; otherwise zod names the problem. */
function coerce(raw: string, sample: Json): Json {
  if (typeof sample === 'number' && /^-?\d+(\.\d+)?$/.test(raw.trim())) return Number(raw);
  if (typeof sample === 'boolean' && /^(true|false|1|0)$/i.test(raw.trim())) return /^(true|1)$/i.test(raw.trim());
  // Lists from the environment are comma-separated: VANKHO_ACCESS_READING_ROOM=10.1.0.0/24,10.2.0.0/24
  if (Array.isArray(sample)) return raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return raw;
}

function readJson(file: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${file}: ${(err as Error).message}`]);
  }
  if (!isObject(parsed)) throw new ConfigError([`${file}: must hold a JSON object`]);
  return parsed;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Deep-merged last; used by tests and the CLI. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const defaults = readJson(path.join(projectRoot, 'config', 'default.json'));
  let layered = defaults;
  if (env.VANKHO_CONFIG) layered = merge(layered, readJson(path.resolve(env.VANKHO_CONFIG)));

  const problems: string[] = [];
  const known = new Map(leaves(defaults).map((l) => [l.env, l]));
  const fromEnv = new Map<string, string>();
  const envLayer: JsonObject = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('VANKHO_') || name === 'VANKHO_CONFIG' || raw === undefined) continue;
    const leaf = known.get(name);
    if (!leaf) {
      problems.push(`${name}: unknown setting (known: ${[...known.keys()].join(', ')})`);
      continue;
    }
    let node = envLayer;
    for (const key of leaf.path.slice(0, -1)) node = (node[key] ??= {}) as JsonObject;
    node[leaf.path.at(-1)!] = coerce(raw, leaf.sample);
    fromEnv.set(leaf.path.join('.'), name);
  }
  layered = merge(layered, envLayer);
  if (opts.overrides) layered = merge(layered, opts.overrides as JsonObject);

  const result = ConfigSchema.safeParse(layered);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.');
      const source = fromEnv.has(key) ? ` (from ${fromEnv.get(key)})` : '';
      problems.push(`${key || '(root)'}: ${issue.message}${source}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = result.data!;
  config.storage.root = path.resolve(projectRoot, config.storage.root);
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (isObject(o)) for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o);
}
