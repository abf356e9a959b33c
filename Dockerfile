# Văn Khố server image. Build: docker build -t vankho .   Run: docker run -p 8080:8080 -v vankho-data:/data vankho
# No container engine runs on the development machines: test/api/dockerfile.test.ts checks this file
# instead (it builds the build stage's COPY inputs in an empty folder, assembles the runtime stage and
# serves from it). Keep the two in step.

# ---- build: compile the server (tsc) and bundle the reading room (esbuild) ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 downloads a prebuilt binary; where that download is blocked it compiles from source,
# which needs these.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# What `npm run build` reads besides node_modules: the tsconfig chain, the server's sources (with
# server/types), the reading room's build script and sources.
COPY tsconfig.json tsconfig.build.json ./
COPY server ./server
COPY viewer/build.mjs ./viewer/
COPY viewer/src ./viewer/src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:20-bookworm-slim
# In-server ingest (HTTP uploads, jobs resumed at start) runs Tesseract (the README's models:
# Vietnamese, traditional Chinese horizontal and vertical, English) and poppler's pdftoppm.
# ClamAV is not included: ingest.malwareScan is off by default (see docs/operate.md).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-vie tesseract-ocr-chi-tra tesseract-ocr-chi-tra-vert tesseract-ocr-eng \
      poppler-utils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production VANKHO_SERVER_HOST=0.0.0.0 VANKHO_STORAGE_ROOT=/data MALLOC_ARENA_MAX=2
# What `serve` reads: package.json ("type": "module"), production node_modules, the compiled server,
# the bundled reading room, config/default.json and the demo collection. Owned by root: read-only
# for the server.
COPY package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/viewer/dist ./viewer/dist
COPY config ./config
COPY manifests/demo ./manifests/demo
# The Han character table (Vietnamese readings of Han and Nôm), read at run time.
COPY data/han ./data/han
RUN mkdir -p /data && chown node:node /data
VOLUME /data
EXPOSE 8080
# The image's unprivileged user (uid 1000); it owns only /data.
USER node
# Liveness: the server answers /healthz once the demo (if enabled) is prepared and it listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.VANKHO_SERVER_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/cli.js", "serve"]
