# syntax=docker/dockerfile:1
# Tianshu images. Targets:
#   control-plane  the control plane (`serve` by default; `embedded` works too)
#   agent          the agent (`run`; enrol first, see docs/operations.md)
# Build: docker build --target control-plane -t tianshu/control-plane .

# ---- build: install every dependency, compile, then drop the dev dependencies -------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# Manifests first, so the dependency layer is cached until they change.
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY control-plane/package.json control-plane/
COPY agents/package.json agents/
COPY console/package.json console/
RUN npm ci
COPY tsconfig.base.json ./
COPY protocol/tsconfig.json protocol/
COPY protocol/src protocol/src
COPY control-plane/tsconfig.json control-plane/
COPY control-plane/src control-plane/src
COPY control-plane/inventory control-plane/inventory
COPY agents/tsconfig.json agents/
COPY agents/src agents/src
COPY console/tsconfig.json console/vite.config.ts console/index.html console/
COPY console/src console/src
COPY policies policies
RUN npm run build \
 && npm prune --omit=dev \
 && rm -rf protocol/src control-plane/src agents/src console/src console/node_modules \
 && find . -path ./node_modules -prune -o -name '*.tsbuildinfo' -type f -exec rm -f {} +

# ---- runtime: what both images share --------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# The image runs as the unprivileged `node` user (uid 1000) of the base image.
RUN mkdir -p /var/lib/tianshu /var/lib/tianshu-agent \
 && chown node:node /var/lib/tianshu /var/lib/tianshu-agent

# ---- agent ----------------------------------------------------------------------------------------
FROM runtime AS agent
ENV TIANSHU_AGENT_STATE_DIR=/var/lib/tianshu-agent
USER node
VOLUME ["/var/lib/tianshu-agent"]
ENTRYPOINT ["node", "agents/dist/cli.js"]
CMD ["run"]

# ---- control plane (last, so a plain `docker build .` gives this image) ---------------------------
FROM runtime AS control-plane
ENV TIANSHU_DATA_DIR=/var/lib/tianshu \
    TIANSHU_POLICIES_DIR=/app/policies \
    TIANSHU_PORT=8080
USER node
VOLUME ["/var/lib/tianshu"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.TIANSHU_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "control-plane/dist/main.js"]
CMD ["serve"]
