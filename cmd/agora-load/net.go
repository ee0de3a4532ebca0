package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// netPool spreads connections over loopback source addresses (127.0.0.x):
// each source address has about 28,000 ephemeral ports towards one server
// port, so tens of thousands of sockets need several.
//
// Participants' HTTP requests share a few keep-alive connections, one
// transport per source address, as phones behind a venue's NAT would share
// little: a connection per phone would double the server's open files.
// Each WebSocket gets its own connection from wsClient.
type netPool struct {
	cfg     *Config
	http    []*http.Client // participants' requests, by transport
	perHost int            // connections of one transport to one node
	readers *http.Client   // readers of the public results, on their own address
	ws      []*http.Client // WebSocket handshakes, by source address
}

func newNetPool(cfg *Config) *netPool {
	p := &netPool{cfg: cfg}
	nws := (cfg.Participants + 2 + cfg.SocketsPerIP - 1) / cfg.SocketsPerIP
	for i := 0; i < nws; i++ {
		p.ws = append(p.ws, &http.Client{Transport: &http.Transport{
			DialContext:         p.dialer(i).DialContext,
			DisableKeepAlives:   true,
			MaxIdleConnsPerHost: -1,
		}})
	}
	// The HTTP transports use the source addresses after the sockets'.
	ntr := min(4, cfg.HTTPConns)
	per := (cfg.HTTPConns + ntr - 1) / ntr
	p.perHost = per
	for i := 0; i < ntr; i++ {
		p.http = append(p.http, &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				DialContext:         p.dialer(nws + i).DialContext,
				MaxConnsPerHost:     per,
				MaxIdleConnsPerHost: per,
				IdleConnTimeout:     5 * time.Minute,
			},
			CheckRedirect: noRedirect,
		})
	}
	if cfg.Readers > 0 {
		p.readers = &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				DialContext:         p.dialer(nws + ntr).DialContext,
				MaxIdleConnsPerHost: cfg.Readers,
				IdleConnTimeout:     time.Minute,
			},
			CheckRedirect: noRedirect,
		}
	}
	return p
}

// dialer dials from source address number i (none with -source-net "").
func (p *netPool) dialer(i int) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
	if p.cfg.SourceNet != "" {
		ip := net.ParseIP(fmt.Sprintf("%s.%d", p.cfg.SourceNet, p.cfg.SourceFirst+i))
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return d
}

// httpClient returns the shared client participant i uses. Participant i
// talks to node i mod the nodes; the rest of i over the nodes picks the
// client, so each node's phones share every client, and so
// cfg.HTTPConns connections.
func (p *netPool) httpClient(i int) *http.Client {
	return p.http[i/len(p.cfg.Bases)%len(p.http)]
}

// wsClient returns the client whose dialer socket number i uses.
func (p *netPool) wsClient(i int) *http.Client { return p.ws[i/p.cfg.SocketsPerIP] }

// close drops the idle keep-alive connections.
func (p *netPool) close() {
	for _, c := range p.http {
		c.CloseIdleConnections()
	}
	if p.readers != nil {
		p.readers.CloseIdleConnections()
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// addresses is how many source addresses the run uses.
func (p *netPool) addresses() int {
	n := len(p.ws) + len(p.http)
	if p.readers != nil {
		n++
	}
	return n
}

// checkSourceAddrs fails early when a source address cannot be bound (a
// system without the whole 127/8 on its loopback).
func (p *netPool) checkSourceAddrs(ctx context.Context) error {
	if p.cfg.SourceNet == "" {
		return nil
	}
	for i := 0; i < p.addresses(); i++ {
		ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", p.dialer(i).LocalAddr.String())
		if err != nil {
			return fmt.Errorf("source address %v: %w (use -source-net \"\")", p.dialer(i).LocalAddr, err)
		}
		ln.Close()
	}
	return nil
}

// warm opens the phones' shared connections to every node before the poll
// opens, as many as each transport may hold. A phone that joined keeps its
// keep-alive connection; the tool's pool, used by joins 64 at a time,
// would otherwise dial most of its connections in the first second of the
// burst, while the server sends the poll to every socket, and count that
// wait in the votes' acknowledgements. Requests in flight together each
// need a connection, so the transport dials them.
func (p *netPool) warm(ctx context.Context, check func(op string, status int, err error) error) {
	var wg sync.WaitGroup
	for _, base := range p.cfg.Bases {
		for _, c := range p.http {
			for range p.perHost {
				wg.Go(func() {
					status, err := healthz(ctx, c, base)
					check("warm", status, err)
				})
			}
		}
	}
	wg.Wait()
}

// healthz asks base for /healthz through c and reads the whole answer, so
// that the connection goes back to c's pool.
func healthz(ctx context.Context, c *http.Client, base string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
