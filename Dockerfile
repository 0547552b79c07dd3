# warren: multi-stage build. `docker build -t warren:0.1.0 .`
# The runtime image holds production dependencies and the compiled dist/ only, runs as the
# non-root "node" user (uid 1000) and needs nothing writable but /tmp, so it runs under
# k8s/deployment.yaml's read-only root filesystem.

# Node >= 20.19 (package.json engines); bookworm-slim is glibc, which the prebuilt binaries of
# the build tools' native add-ons expect. Pinned by digest (node:20-bookworm-slim): a tag can be
# moved to another image, a digest cannot. One FROM line, so that .github/dependabot.yml (which
# reads FROM lines, not ARG defaults) proposes new digests for all three stages at once.
FROM node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0 AS base

# --- build: all dependencies, compile TypeScript to dist/ -----------------------------------
FROM base AS build
WORKDIR /app
# Manifests first, so the dependency layer is cached until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY src ./src
RUN npm run build

# --- prod-deps: production dependencies only ------------------------------------------------
FROM base AS prod-deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# No lifecycle scripts: no production dependency needs one, and none should run at build time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    METRICS_PORT=9464
WORKDIR /app
# Owned by root and not writable by the app user: the code cannot be changed at run time.
# package.json is needed at run time: its "type": "module" makes Node load dist/*.js as ESM.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The base image's "node" user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# The API (and probes) on 3000; GET /metrics on 9464.
EXPOSE 3000 9464
# Liveness for plain Docker (Kubernetes ignores this and uses the Deployment's probes).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (Docker's and the kubelet's default) starts the graceful drain; node is PID 1 and
# handles it itself (src/shutdown/graceful-shutdown.ts), exiting 0 when done.
CMD ["node", "dist/main.js"]
