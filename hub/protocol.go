package hub

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"

	"github.com/coder/websocket"
)

// Message types of the protocol itself. Domain event types (activity
// changes, tallies, ideas) belong to the server; these are the ones the hub
// speaks on its own. web/static/js/live.js mirrors them.
const (
	TypeSnapshot = "snapshot" // server → client: the whole state of a topic at seq
	TypePong     = "pong"     // server → client: answer to a client "ping"
	TypePing     = "ping"     // client → server: keepalive
	TypeResume   = "resume"   // client → server: send me what followed seq
)

// Close codes, the one table of them. docs/protocol.md repeats it.
const (
	CloseNormal    = websocket.StatusNormalClosure           // 1000: the client left
	CloseGoingAway = websocket.StatusGoingAway               // 1001: server shutting down; reconnect at once
	CloseMalformed = websocket.StatusInvalidFramePayloadData // 1007: inbound message is not valid JSON
	ClosePolicy    = websocket.StatusPolicyViolation         // 1008: inbound message of a type clients may not send
	CloseTooBig    = websocket.StatusMessageTooBig           // 1009: inbound message over Config.MaxMessageSize
	CloseTooSlow   = websocket.StatusTryAgainLater           // 1013: send queue full or write deadline missed
	CloseSnapshot  = websocket.StatusCode(4001)              // 4001: the room's state could not be loaded; retry later
)

// Envelope is the JSON shape of every message, both ways. Seq is 0 on
// messages outside the topic's sequence (pong) and on client messages other
// than resume. Latest marks a value this node computed (a tally, a count):
// it replaces the client's copy and takes no seq of its own; its Seq is the
// topic's seq it follows on this node, so a client never sees it as a gap.
type Envelope struct {
	Type   string          `json:"type"`
	Topic  string          `json:"topic,omitempty"`
	Seq    uint64          `json:"seq"`
	Latest bool            `json:"latest,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// latestField goes between the seq and the data of a latest message.
const latestField = `,"latest":true`

// envelopeParts encodes a message around its missing sequence number:
// head ends with `"seq":` and tail starts with `,"data":`, so that
// head + decimal(seq) + tail is the message. Numbering happens where the
// sequence lives (in Redis for several nodes), without decoding.
func envelopeParts(topic, typ string, data any) (head, tail []byte, err error) {
	body, err := json.Marshal(data)
	if err != nil {
		return nil, nil, err
	}
	head = make([]byte, 0, len(typ)+len(topic)+32)
	head = append(head, `{"type":`...)
	head = strconv.AppendQuote(head, typ) // types and topics are ASCII identifiers
	head = append(head, `,"topic":`...)
	head = strconv.AppendQuote(head, topic)
	head = append(head, `,"seq":`...)
	tail = make([]byte, 0, len(body)+10)
	tail = append(tail, `,"data":`...)
	tail = append(tail, body...)
	tail = append(tail, '}')
	return head, tail, nil
}

// encodeEnvelope returns the complete message for a known seq.
func encodeEnvelope(topic, typ string, seq uint64, data any) ([]byte, error) {
	head, tail, err := envelopeParts(topic, typ, data)
	if err != nil {
		return nil, err
	}
	return joinEnvelope(head, seq, tail), nil
}

func joinEnvelope(head []byte, seq uint64, tail []byte) []byte {
	msg := make([]byte, 0, len(head)+20+len(tail))
	msg = append(msg, head...)
	msg = strconv.AppendUint(msg, seq, 10)
	return append(msg, tail...)
}

var seqKey = []byte(`"seq":`)

// parseSeq reads the seq of a message built by envelopeParts. The first
// `"seq":` is the envelope's: type and topic come before it and a quoted
// string cannot contain that sequence unescaped.
func parseSeq(msg []byte) uint64 {
	i := bytes.Index(msg, seqKey)
	if i < 0 {
		return 0
	}
	var n uint64
	for _, b := range msg[i+len(seqKey):] {
		if b < '0' || b > '9' {
			break
		}
		n = n*10 + uint64(b-'0')
	}
	return n
}

// pongFrame is shared by every connection.
var pongFrame = newFrame(0, []byte(`{"type":"pong","seq":0}`), frameControl)

// textFrame returns msg as an unmasked, final WebSocket text frame
// (RFC 6455, section 5.2): what a server sends.
func textFrame(msg []byte) []byte {
	n := len(msg)
	b := make([]byte, 0, 10+n)
	switch {
	case n <= 125:
		b = append(b, 0x81, byte(n))
	case n <= 0xFFFF:
		b = binary.BigEndian.AppendUint16(append(b, 0x81, 126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x81, 127), uint64(n))
	}
	return append(b, msg...)
}
