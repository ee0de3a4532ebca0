# Builds the agora binary (pure Go: SQLite is modernc.org/sqlite, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /agora ./cmd/agora

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /agora /agora
ENV AGORA_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/agora"]
CMD ["serve"]
