# syntax=docker/dockerfile:1
# Multi-stage build: type-check and compile in a build stage, run the compiled JavaScript as a non-root user.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY config ./config
RUN npm run build && npm prune --omit=dev

FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node config ./config
COPY --chown=node:node web ./web
COPY --chown=node:node data/calibration/step-time-fit.json ./data/calibration/step-time-fit.json
USER node
EXPOSE 3000
# Node's own fetch: no curl in the slim image. Uses PORT so a changed port keeps the check honest.
# (No --start-period: dockerfilelint 1.8 rejects it; 5 retries × 15 s covers start-up.)
HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# close-with-grace turns SIGTERM into app.close(): in-flight requests drain, exit 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server.js"]
