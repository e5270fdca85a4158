# The Steadfast API and worker in one image. Sources run through tsx, so there is no build step.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY runbooks ./runbooks
COPY worker.ts tsconfig.json ./
ENV STEADFAST_API_HOST=0.0.0.0 STEADFAST_API_PORT=8080
EXPOSE 8080
USER node
CMD ["node", "--import", "tsx", "src/main.ts"]
