# Railyard's server as a container image: `docker build -t railyard:0.1.0 .`
# Build stage: all dependencies, the bundled CLI and its code cache, the web UI.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# Run stage: production dependencies only, git (the server fetches app repositories), no shell tools.
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
COPY bin ./bin
USER node
ENV NODE_ENV=production RAILYARD_DATA_DIR=/tmp/railyard
EXPOSE 7700
ENTRYPOINT ["node", "bin/railyard.js"]
CMD ["server", "--host", "0.0.0.0", "--config", "/etc/railyard/railyard.config.yaml"]
