package store

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
)

// forgottenPrefix marks a participant whose device token hash was erased.
// The column is NOT NULL and UNIQUE (workshop_id, token_hash), so the hash
// becomes this prefix plus the participant's public pseudonym: unique,
// never equal to a real hash (64 hex digits, no colon), so no device
// cookie finds the row again, and it tells reduced rows from the others.
const forgottenPrefix = "forgotten:"

// ForgetBefore reduces the personal data older than cutoff; see
// agora.RetentionStore. Flags keep their reporter: reporter_id is NOT NULL
// and part of the uniqueness that stops a citizen flagging twice.
func (s *DB) ForgetBefore(ctx context.Context, cutoff time.Time) (agora.ForgetReport, error) {
	var r agora.ForgetReport
	err := s.inTx(ctx, "forget before", func(t *DB) error {
		at := t.d.time(cutoff)
		res, err := t.exec(ctx, "forget participants", `UPDATE participants
			SET nickname = '', token_hash = '`+forgottenPrefix+`' || public_id
			WHERE token_hash NOT LIKE '`+forgottenPrefix+`%'
			  AND workshop_id IN (SELECT id FROM workshops WHERE state = 'ended' AND updated_at < $1)`, at)
		if err != nil {
			return err
		}
		if r.Participants, err = rowsAffected("forget participants", res); err != nil {
			return err
		}
		res, err = t.exec(ctx, "forget tokens", `DELETE FROM one_time_tokens
			WHERE used_at < $1 OR expires_at < $1`, at)
		if err != nil {
			return err
		}
		r.Tokens, err = rowsAffected("forget tokens", res)
		return err
	})
	if err != nil {
		return agora.ForgetReport{}, err
	}
	return r, nil
}

// rowsAffected returns how many rows a statement changed.
func rowsAffected(op string, res interface{ RowsAffected() (int64, error) }) (int, error) {
	n, err := res.RowsAffected()
	return int(n), dbError(op, err)
}
