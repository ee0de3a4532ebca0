# The README's commands. `make run` serves Agora on :8080 with SQLite;
# `make test` runs every test (the services it needs: see README).
GO ?= go

.PHONY: run test fuzz bench

run:
	$(GO) run ./cmd/agora

test:
	$(GO) test -race -timeout 30m -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
