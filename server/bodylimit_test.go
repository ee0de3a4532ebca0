package server

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// The copies of chunked headers are dropped by the next request on the
// same header, by take, and all at once past maxChunkedHeaders: a client
// hanging up mid-body cannot grow the table without bound.
func TestChunkedHeaders_Bounded(t *testing.T) {
	var tbl chunkedHeaders
	chunked := func() *fasthttp.RequestHeader {
		h := &fasthttp.RequestHeader{}
		h.SetMethod("POST")
		h.SetRequestURI("/api/v1/activities/1/ideas")
		h.Set("Accept-Language", "en")
		h.SetContentLength(-1)
		return h
	}
	h := chunked()
	tbl.received(h)
	saved := tbl.take(h)
	if saved == nil || string(saved.RequestURI()) != "/api/v1/activities/1/ideas" || string(saved.Peek("Accept-Language")) != "en" {
		t.Fatalf("saved %v", saved)
	}
	if tbl.take(h) != nil || tbl.n.Load() != 0 {
		t.Fatal("a copy taken twice")
	}

	tbl.received(h)
	h.SetContentLength(10) // the connection's next request, not chunked
	tbl.received(h)
	if tbl.take(h) != nil {
		t.Fatal("a copy outlived its request")
	}

	for range 3 * maxChunkedHeaders {
		tbl.received(chunked())
	}
	if n := tbl.n.Load(); n < 1 || n > maxChunkedHeaders {
		t.Fatalf("%d copies kept", n)
	}
}
