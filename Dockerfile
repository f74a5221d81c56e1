# syntax=docker/dockerfile:1
# One image per app: docker build --build-arg APP=greeter -t hello-mesh/greeter .
# The build stage runs the same commands as the local stack and CI (npm install, nx build).

# Node 24 LTS.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /repo
COPY package.json package-lock.json ./
# The npm workspace's packages (the build configuration and the local infrastructure), linked by the install.
COPY tools/build/package.json tools/build/
COPY tools/infra/package.json tools/infra/
RUN npm install --no-audit --no-fund
COPY . .
ARG APP
RUN test -n "$APP" || (echo "build with --build-arg APP=<greeter|producer|consumer|event-handler>" && false)
ENV NX_DAEMON=false NX_NO_CLOUD=true
RUN npx nx build "$APP" --configuration=production --outputStyle=static
# Production dependencies only, from the package.json Nx generates for the bundle.
RUN cd "dist/apps/$APP" && npm install --omit=dev --no-audit --no-fund \
    && cp /repo/tools/stack/healthcheck.cjs ./healthcheck.cjs \
    && node -e "const a = require('/repo/tools/stack/apps.cjs').APPS.find((x) => x.name === process.argv[1]); \
         const port = (p) => String(p.default).split(':').pop(); \
         const args = a.health.kind === 'grpc' ? ['grpc', '127.0.0.1:' + port(a.ports.grpc)] \
           : ['http://127.0.0.1:' + port(a.ports.http) + a.health.path]; \
         require('fs').writeFileSync('healthcheck.json', JSON.stringify(args))" "$APP"

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to node (which drains) and reaps zombies.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ARG APP
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /repo/dist/apps/${APP} ./
# Writable data folder for apps that keep state (the event-handler's projections).
RUN mkdir -p /data && chown node:node /data
# A numeric user (the image's `node`): the kubelet can only enforce runAsNonRoot on a number.
USER 1000:1000
# The app's own endpoint at its default port (healthcheck.json, written at build); compose sets its own.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=6 CMD ["node", "healthcheck.cjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--max-semi-space-size=8", "--enable-source-maps", "main.js"]
