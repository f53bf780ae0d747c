# syntax=docker/dockerfile:1
# One image for every service of the order saga; the command picks the service:
#   docker run order-saga:local orchestrator/main.ts
#   docker run order-saga:local workers/main.ts inventory    (or payment, shipping)
#   docker run -e SAGA_URL=http://host:3000 order-saga:local cli/main.ts list
# docker-compose.yml runs each as its own container. No HEALTHCHECK here: the services answer
# on different ports, so each compose service has its own health check.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, then the UI bundle (ui/dist) ----
FROM ${NODE_IMAGE} AS build
# A compiler for better-sqlite3, used only where its prebuilt binary cannot be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
# The UI imports the statechart from machines/.
COPY machines ./machines
COPY api ./api
COPY ui ./ui
RUN npm run build:ui

# ---- runtime: production dependencies (tsx among them), the sources, the built UI ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The compiler is there only while installing (better-sqlite3 without a prebuilt binary), then removed.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
  && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY tsconfig.json ./
COPY bin ./bin
COPY api ./api
COPY machines ./machines
COPY proto/gen ./proto/gen
COPY lib ./lib
COPY orchestrator ./orchestrator
COPY workers ./workers
COPY cli ./cli
COPY --from=build /app/ui/dist ./ui/dist

# Root owns the files; the services run as the image's unprivileged `node` user and write
# nothing here (tsx caches compiled files under /tmp), but the orchestrator keeps its saga
# index under DATA_DIR (a volume in the compose files; without one it is rebuilt at each start).
RUN mkdir -p /data && chown node:node /data
ENV DATA_DIR=/data
USER node
# orchestrator: API, UI, /health, /ready, /metrics. Workers: /health, /ready, /metrics.
EXPOSE 3000 9101 9102 9103
# TypeScript runs as it does under `npm run start:*`: tsx as Node's loader, no build step.
# Node is the container's main process and gets SIGTERM itself (compose adds an init too).
ENTRYPOINT ["node", "--import", "tsx"]
