package server

import (
	"sync"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// maxChunkedHeaders bounds the headers kept by chunkedHeaders. Past it the
// table is emptied: the requests whose copy is lost only get the plain
// answer of an unknown request should their body fail.
const maxChunkedHeaders = 1024

// chunkedHeaders keeps a copy of the header of each chunked request while
// fasthttp reads its body. When that read fails (a body over BodyLimit, a
// broken chunk, a timeout), fasthttp resets the whole request before its
// error handler: without the copy the error handler would see a request
// for "/" with no Accept-Language and no cookie, and answer a French HTML
// page with a new CSRF cookie even to a JSON client. A body announced by
// its Content-Length is refused before the reset and needs no copy.
//
// Copies are keyed by the request's header, which fasthttp reuses for
// every request of a connection: the next request on it, its handler or
// its error handler drops the copy. Only a client that hangs up in the
// middle of a chunked body leaves one behind, hence maxChunkedHeaders.
type chunkedHeaders struct {
	n  atomic.Int32 // len(m), read without the lock on every request
	mu sync.Mutex
	m  map[*fasthttp.RequestHeader]*fasthttp.RequestHeader
}

// install hooks the table into srv, keeping srv's handlers.
func (t *chunkedHeaders) install(srv *fasthttp.Server) {
	handler, onError := srv.Handler, srv.ErrorHandler
	srv.HeaderReceived = t.received
	srv.Handler = func(ctx *fasthttp.RequestCtx) {
		t.take(&ctx.Request.Header)
		handler(ctx)
	}
	srv.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		if saved := t.take(&ctx.Request.Header); saved != nil {
			saved.CopyTo(&ctx.Request.Header)
		}
		onError(ctx, err)
	}
}

// received is fasthttp's HeaderReceived: it runs after the header of every
// request is read, before its body. The zero RequestConfig keeps the
// server's own limits.
func (t *chunkedHeaders) received(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if h.ContentLength() != -1 { // not chunked
		t.take(h)
		return fasthttp.RequestConfig{}
	}
	saved := &fasthttp.RequestHeader{}
	h.CopyTo(saved)
	t.mu.Lock()
	if t.m == nil || len(t.m) >= maxChunkedHeaders {
		t.m = make(map[*fasthttp.RequestHeader]*fasthttp.RequestHeader)
	}
	t.m[h] = saved
	t.n.Store(int32(len(t.m)))
	t.mu.Unlock()
	return fasthttp.RequestConfig{}
}

// take removes and returns the copy kept for h, if any.
func (t *chunkedHeaders) take(h *fasthttp.RequestHeader) *fasthttp.RequestHeader {
	if t.n.Load() == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	saved, ok := t.m[h]
	if ok {
		delete(t.m, h)
		t.n.Store(int32(len(t.m)))
	}
	return saved
}
