package store

import (
	"context"
	"slices"
	"strings"

	"github.com/agora-civic/agora"
)

// ProposalCategories returns the distinct categories of a consultation's
// approved, undeleted proposals, sorted in Go so that both databases give
// the same order whatever their collation.
func (s *DB) ProposalCategories(ctx context.Context, consultationID int64) ([]string, error) {
	ps, err := list(ctx, s, "proposal categories", scanString, `SELECT DISTINCT p.category FROM proposals p
		WHERE p.consultation_id = $1 AND p.status = $2 AND p.deleted_at IS NULL AND p.category <> ''`,
		consultationID, string(agora.ProposalApproved))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	slices.Sort(out)
	return out, nil
}

// SupportedBy returns those of proposalIDs that the user supports online.
func (s *DB) SupportedBy(ctx context.Context, userID int64, proposalIDs []int64) ([]int64, error) {
	if len(proposalIDs) == 0 {
		return nil, nil
	}
	a := args{userID}
	ph := make([]string, len(proposalIDs))
	for i, id := range proposalIDs {
		ph[i] = a.add(id)
	}
	ids, err := list(ctx, s, "supported by", scanInt64, `SELECT proposal_id FROM supports
		WHERE user_id = $1 AND proposal_id IN (`+strings.Join(ph, ", ")+`) ORDER BY proposal_id`, a...)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = *id
	}
	return out, nil
}

func scanString(r rowScanner) (*string, error) {
	var v string
	return &v, r.Scan(&v)
}

func scanInt64(r rowScanner) (*int64, error) {
	var v int64
	return &v, r.Scan(&v)
}
