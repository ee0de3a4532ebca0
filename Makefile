# The README's commands. `make run` serves Agora on :8080 with SQLite;
# `make test` runs every test (the services it needs: see README).
GO ?= go

.PHONY: run test fuzz bench

run:
	$(GO) run ./cmd/agora

test:
	$(GO) test -race -timeout 30m -count=1 ./...

# Each fuzz target for FUZZTIME (Go fuzzes one target at a time); the seed
# corpora in testdata/fuzz also run with every `make test`.
FUZZTIME ?= 10s

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzNormalizeJoinCode$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzNormalizeWord$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzVoteForm$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzWSInbound$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME) ./markdown

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
