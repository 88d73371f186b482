# eip-operator: built with the Swift toolchain image, run on a slim Debian with libcurl.
FROM swift:6.0-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4-openssl-dev libssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product eip-operator \
 && swift build -c release --static-swift-stdlib --product eipctl \
 && cp "$(swift build -c release --show-bin-path)/eip-operator" "$(swift build -c release --show-bin-path)/eipctl" /usr/local/bin/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/eip-operator /usr/local/bin/eipctl /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/eip-operator"]
