# eip-operator: built with the Swift toolchain the project is tested with (.swift-version; a test
# checks the two agree), run on a slim Debian with libcurl. Multi-arch (linux/amd64, linux/arm64:
# Grace Hopper GPU nodes are arm64) through `make docker-buildx`; one platform through `make docker-build`.
ARG SWIFT_VERSION=6.3.1

FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4-openssl-dev libssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest first, so a source change does not invalidate the layer above.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product eip-operator \
 && swift build -c release --static-swift-stdlib --product eipctl \
 && cp "$(swift build -c release --show-bin-path)/eip-operator" "$(swift build -c release --show-bin-path)/eipctl" /usr/local/bin/

FROM debian:bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="eip-operator" \
      org.opencontainers.image.description="Autoscales GPU model-serving workloads on latency percentiles and GPU utilisation, with warmup." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
# The revision in the operator's eip_build_info metric, as in the image's label.
ENV EIP_REVISION=${REVISION}
# libssl3: the admission webhook's TLS listener (libcurl needs it too).
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4 libssl3 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/eip-operator /usr/local/bin/eipctl /usr/local/bin/
# The restricted Pod Security profile: a numeric non-root user (the manifests run as 65532 too).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/eip-operator"]
