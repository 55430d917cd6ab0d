# Samsa broker image: a static samsa binary on Debian slim.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t samsa .
#   docker run -p 9092:9092 -v samsa-data:/var/lib/samsa samsa
#
# With no arguments the container runs the embedded single-node configuration
# (configs/server.properties) with the overrides in CMD: inside a container the
# listener must bind 0.0.0.0 rather than localhost, and clients outside must be
# told an address they can reach (advertised.listeners; localhost:9092 fits
# `-p 9092:9092`). Pass your own arguments to replace CMD; the image holds no
# properties file, so mount yours (its listeners must bind 0.0.0.0 and its
# log.dirs lie under /var/lib/samsa, as CMD's overrides arrange), e.g.
#   docker run -v "$PWD/my-samsa:/etc/samsa:ro" samsa /etc/samsa/server.properties

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/samsa ./cmd/samsa

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/samsa --create-home samsa
COPY --from=build /out/samsa /usr/local/bin/samsa
RUN mkdir -p /opt/kafka/bin && /usr/local/bin/samsa install-links /opt/kafka/bin
ENV PATH="/opt/kafka/bin:${PATH}"
USER samsa
WORKDIR /var/lib/samsa
VOLUME /var/lib/samsa
# 9092: Kafka protocol; 9644: Prometheus metrics.
EXPOSE 9092 9644
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["samsa", "healthcheck", "--url", "http://localhost:9644/healthz"]
ENTRYPOINT ["samsa", "server"]
CMD ["--override", "listeners=PLAINTEXT://0.0.0.0:9092", \
     "--override", "advertised.listeners=PLAINTEXT://localhost:9092", \
     "--override", "log.dirs=/var/lib/samsa/kafka-logs", \
     "--override", "metrics.listener=http://0.0.0.0:9644"]
