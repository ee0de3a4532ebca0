package report

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
)

// MinKeyLen is the shortest pseudonymisation key BuildExports accepts: a
// short key could be found by trying keys against known pseudonyms.
const MinKeyLen = 16

// errShortKey is returned by BuildExports for a key under MinKeyLen bytes.
var errShortKey = errors.New("report: pseudonymisation key shorter than 16 bytes")

// pseudonyms derives the open data's ids of people. Each is an HMAC of the
// consultation and the row's ID under the server's secret key: stable from
// one export to the next, different in each consultation, and not linkable
// to the person (or across consultations) without the key. A device in the
// room and an account online get different prefixes and are never linked,
// even when the device was linked to the account.
type pseudonyms struct {
	key []byte
	cid string
}

func newPseudonyms(key []byte, consultationID int64) pseudonyms {
	return pseudonyms{key: key, cid: strconv.FormatInt(consultationID, 10)}
}

// participant is the pseudonym of a device in the room.
func (p pseudonyms) participant(id int64) string {
	return "r-" + p.mac("consultation:"+p.cid+":participant:"+strconv.FormatInt(id, 10))
}

// user is the pseudonym of an account online.
func (p pseudonyms) user(id int64) string {
	return "o-" + p.mac("consultation:"+p.cid+":user:"+strconv.FormatInt(id, 10))
}

// voter names the author of a vote, support or idea: the device when there
// is one, else the account.
func (p pseudonyms) voter(participantID, userID *int64) string {
	switch {
	case participantID != nil:
		return p.participant(*participantID)
	case userID != nil:
		return p.user(*userID)
	}
	return ""
}

// mac is the first 16 hex digits (64 bits) of HMAC-SHA256(key, msg).
func (p pseudonyms) mac(msg string) string {
	h := hmac.New(sha256.New, p.key)
	h.Write([]byte(msg))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Fingerprint returns the hex SHA-256 of b.
func Fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
