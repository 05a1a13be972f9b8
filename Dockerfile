# authgate: build with the toolchain, run with production dependencies only.
# Node.js 24, the LTS line (see README for Node.js 26, which the suite also runs on).
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY prisma ./prisma
# prisma.config.ts (loaded by `prisma generate` at install) reads this file.
COPY src/storage/database-url.ts ./src/storage/database-url.ts
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY scripts ./scripts
COPY public ./public
# Production dependencies only, and the gateway only (the client package in
# clients/ is not part of the image). A plain --omit=dev keeps TypeScript:
# prisma and @prisma/client name it as an optional peer, so npm marks it
# "devOptional"; --omit=optional drops it too (and pg-cloudflare, which only
# Workers use). better-sqlite3 keeps the addon it loads and nothing else of
# its build, and node_modules/.prisma (the default client @prisma/client's
# install writes) goes: the gateway's generated clients are compiled into dist/.
RUN npm run build:server \
 && npm prune --omit=dev --omit=optional \
 && find node_modules/better-sqlite3/build -type f ! -path '*/Release/better_sqlite3.node' -delete \
 && find node_modules/better-sqlite3/build -type d -empty -delete \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src node_modules/.prisma

FROM node:24-bookworm-slim
# Prisma's CLI (`prisma migrate deploy` at start) looks for libssl to name an
# engine build and warns when it finds none, though the JavaScript engine used
# here loads no native engine; libssl3 (2 MB) is what it looks for.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=file:/app/data/authgate.db \
    DATA_DIR=/app/data \
    CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=build /app/package.json /app/prisma.config.ts ./
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/src/storage/database-url.ts ./src/storage/database-url.ts
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# GraphiQL's files, with the React and GraphiQL builds the build copied in (served only when GraphiQL is on).
COPY --from=build /app/public ./public
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# The server checks the settings and the data folder, applies any pending
# migration, then serves (the same `npm run serve` the tests start).
CMD ["npm", "run", "serve", "--silent"]
