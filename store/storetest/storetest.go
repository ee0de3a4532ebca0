// Package storetest is the conformance suite of agora.Store: every backend
// runs the same tests, each on a fresh database.
package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/agora-civic/agora"
)

// test is one subtest of the suite; s is a fresh, migrated, empty store.
type test struct {
	name string
	fn   func(t *testing.T, s agora.Store)
}

// Run runs the suite. open must return a fresh, migrated, empty store for
// each subtest, and close it when the test ends.
func Run(t *testing.T, open func(t *testing.T) agora.Store) {
	groups := [][]test{
		userTests, sessionTests, consultationTests, workshopTests, activityTests,
		participantTests, voteTests, proposalTests, supportTests, commentTests, commentMoreTests,
		flagTests, auditTests, counterTests, settingTests, txTests,
		proposalMoreTests, mineTests, retentionTests, listingTests,
	}
	for _, g := range groups {
		for _, tc := range g {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
		}
	}
}

// cmpOpts compares stored values: times as instants to the microsecond
// (both databases keep microseconds), empty and nil slices alike.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool {
		return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
	}),
	cmpopts.EquateEmpty(),
}

// same fails t when got differs from want.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// must fails t on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := agora.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func ptr[T any](v T) *T { return &v }

// base is a fixed instant with a sub-second part, to check precision.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

var seq atomic.Int64

// uniq returns a string unique within the test binary.
func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

func mkUser(t *testing.T, s agora.Store, role agora.Role) *agora.User {
	t.Helper()
	u := &agora.User{Email: uniq("user") + "@example.org", DisplayName: "Ada", PasswordHash: "h", Role: role}
	must(t, s.CreateUser(t.Context(), u))
	return u
}

func mkConsultation(t *testing.T, s agora.Store) *agora.Consultation {
	t.Helper()
	c := &agora.Consultation{Slug: uniq("c"), Title: "Parc", Status: agora.ConsultationOpen}
	must(t, s.CreateConsultation(t.Context(), c))
	return c
}

func mkWorkshop(t *testing.T, s agora.Store) *agora.Workshop {
	t.Helper()
	c := mkConsultation(t, s)
	w := &agora.Workshop{ConsultationID: c.ID, Title: "Soirée", JoinCode: uniq("J"),
		ScreenToken: "screen", State: agora.WorkshopLive}
	must(t, s.CreateWorkshop(t.Context(), w))
	return w
}

func mkActivity(t *testing.T, s agora.Store, workshopID int64, prompt string) *agora.Activity {
	t.Helper()
	a := &agora.Activity{WorkshopID: workshopID, Kind: agora.KindPoll, Prompt: prompt,
		Options:  []agora.Option{{ID: 1, Label: "Oui"}, {ID: 2, Label: "Non"}},
		Settings: agora.ActivitySettings{MaxChoices: 1}, State: agora.ActivityOpen}
	must(t, s.CreateActivity(t.Context(), a))
	return a
}

func mkParticipant(t *testing.T, s agora.Store, workshopID int64) *agora.Participant {
	t.Helper()
	p := &agora.Participant{WorkshopID: workshopID, TokenHash: uniq("tok"), PublicID: uniq("pub")}
	must(t, s.CreateParticipant(t.Context(), p))
	return p
}

func mkProposal(t *testing.T, s agora.Store, c *agora.Consultation, p *agora.Proposal) *agora.Proposal {
	t.Helper()
	p.ConsultationID = c.ID
	if p.Status == "" {
		p.Status = agora.ProposalApproved
	}
	if p.Body == "" {
		p.Body = "body"
	}
	must(t, s.CreateProposal(t.Context(), p))
	return p
}
