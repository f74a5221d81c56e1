# syntax=docker/dockerfile:1
# One image per app: docker build --build-arg APP=greeter -t hello-mesh/greeter .
# The build stage runs the same commands as the local stack and CI (npm install, nx build).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /repo
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
ARG APP
RUN test -n "$APP" || (echo "build with --build-arg APP=<greeter|producer|consumer|event-handler>" && false)
ENV NX_DAEMON=false NX_NO_CLOUD=true
RUN npx nx build "$APP" --configuration=production --outputStyle=static
# Production dependencies only, from the package.json Nx generates for the bundle.
RUN cd "dist/apps/$APP" && npm install --omit=dev --no-audit --no-fund \
    && cp /repo/tools/stack/healthcheck.cjs ./healthcheck.cjs

FROM ${NODE_IMAGE} AS runtime
ARG APP
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /repo/dist/apps/${APP} ./
# Writable data folder for apps that keep state (the event-handler's projections).
RUN mkdir -p /data && chown node:node /data
USER node
CMD ["node", "--enable-source-maps", "main.js"]
