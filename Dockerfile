# The Steadfast API and worker in one image, compiled to JavaScript (scripts/build.mjs) when it is built.
FROM node:20.19.5-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Two malloc arenas: the Temporal SDK's native threads otherwise keep freed memory (scripts/lib/native-memory.mjs).
ENV MALLOC_ARENA_MAX=2
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY runbooks ./runbooks
COPY worker.ts tsconfig.json ./
COPY scripts/build.mjs ./scripts/
RUN node scripts/build.mjs
# The product writes under data/ (relative to /app) and runs as `node`, which does not own /app. A named
# volume mounted here starts with this ownership, so its contents outlive the container too.
RUN mkdir -p /app/data && chown node:node /app/data
ENV STEADFAST_API_HOST=0.0.0.0 STEADFAST_API_PORT=8080
EXPOSE 8080
USER node
CMD ["node", "dist/src/main.js"]
