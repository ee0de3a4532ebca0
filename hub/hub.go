// Package hub fans events out to WebSocket connections, by room and audience,
// on one node and across nodes through a Broker.
package hub

// Hub is a placeholder until the realtime work lands.
type Hub struct{}
