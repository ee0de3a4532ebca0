package report

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/agora-civic/agora"
)

// SchemaURI names the open data format; a change that breaks readers gets
// a new version. docs/opendata.md documents every field.
const SchemaURI = "https://agora.example/opendata/v1"

// BuildExports produces the open data of c: the JSON document and the CSV
// zip, with their SHA-256. key (at least MinKeyLen bytes, kept secret by
// the server) keys the pseudonyms. The same data and key always give the
// same bytes: nothing depends on the time of the build.
func BuildExports(ctx context.Context, src Source, c *agora.Consultation, key []byte) (*Exports, error) {
	if len(key) < MinKeyLen {
		return nil, errShortKey
	}
	d, err := load(ctx, src, c)
	if err != nil {
		return nil, err
	}
	return d.exports(key)
}

// BuildAll is Build and BuildExports from one reading of the store, for a
// report page that shows the fingerprints: its figures and the files
// fingerprinted then come from the same rows.
func BuildAll(ctx context.Context, src Source, c *agora.Consultation, key []byte) (*Report, *Exports, error) {
	if len(key) < MinKeyLen {
		return nil, nil, errShortKey
	}
	d, err := load(ctx, src, c)
	if err != nil {
		return nil, nil, err
	}
	ex, err := d.exports(key)
	if err != nil {
		return nil, nil, err
	}
	return d.report(), ex, nil
}

// exports encodes the document both ways and fingerprints the bytes.
func (d *data) exports(key []byte) (*Exports, error) {
	doc := d.document(newPseudonyms(key, d.c.ID))
	js, err := encodeJSON(doc)
	if err != nil {
		return nil, err
	}
	zb, err := encodeZip(doc)
	if err != nil {
		return nil, err
	}
	return &Exports{JSON: js, Zip: zb, JSONSHA256: Fingerprint(js), ZipSHA256: Fingerprint(zb)}, nil
}

func encodeJSON(doc *Document) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<" stays readable; the file is downloaded, not inlined
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("report: encode JSON: %w", err)
	}
	return b.Bytes(), nil
}

// document builds the open data from the loaded rows. Every list is in a
// fixed order, and empty lists are [] rather than null.
func (d *data) document(ps pseudonyms) *Document {
	r := d.report()
	c := d.c
	doc := &Document{Schema: SchemaURI,
		Consultation: ConsultationJSON{ID: c.ID, Slug: c.Slug, Title: c.Title, Description: c.Description,
			Status: string(c.Status), OpensAt: utcPtrP(c.OpensAt), ClosesAt: utcPtrP(c.ClosesAt),
			SupportThreshold: c.SupportThreshold},
		Workshops: []WorkshopJSON{}, Participants: []ParticipantJSON{}, Activities: []ActivityJSON{},
		Votes: []VoteJSON{}, Proposals: []ProposalJSON{}, Supports: []SupportJSON{}, Comments: []CommentJSON{},
		Results: []ResultJSON{}}
	if !r.LastChange.IsZero() {
		doc.Consultation.LastChange = utcPtr(r.LastChange)
	}
	for i, wd := range d.workshops {
		rw := r.Workshops[i]
		doc.Workshops = append(doc.Workshops, WorkshopJSON{ID: rw.ID, Title: rw.Title, Place: rw.Place,
			State: string(rw.State), StartsAt: utcPtrP(wd.w.StartsAt), StartedAt: rw.StartedAt, EndedAt: rw.EndedAt,
			Participants: rw.Participants, Voters: rw.Voters})
		for _, p := range wd.parts {
			pj := ParticipantJSON{ID: ps.participant(p.ID), WorkshopID: wd.w.ID, JoinedAt: p.CreatedAt.UTC()}
			if p.Nickname != "" { // shown only when the person chose one
				pj.Nickname = &p.Nickname
			}
			doc.Participants = append(doc.Participants, pj)
		}
		for j, a := range wd.acts {
			doc.Activities = append(doc.Activities, activityJSON(a))
			for _, v := range wd.votes[a.ID] {
				doc.Votes = append(doc.Votes, voteJSON(a, v, ps))
			}
			doc.Results = append(doc.Results, resultJSON(rw.Activities[j]))
		}
	}
	for _, p := range d.proposals {
		if shown(p) {
			doc.Proposals = append(doc.Proposals, proposalJSON(p, ps, c.SupportThreshold))
		}
	}
	for _, s := range d.supports {
		if d.supportShown(s) {
			doc.Supports = append(doc.Supports, SupportJSON{ProposalID: s.ProposalID,
				Supporter: ps.voter(s.ParticipantID, s.UserID), Channel: string(s.Channel), CreatedAt: s.CreatedAt.UTC()})
		}
	}
	slices.SortStableFunc(doc.Supports, func(a, b SupportJSON) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ProposalID, b.ProposalID),
			cmp.Compare(a.Supporter, b.Supporter))
	})
	for _, cm := range d.comments {
		if d.comment[cm.ID] {
			doc.Comments = append(doc.Comments, CommentJSON{ID: cm.ID, ProposalID: cm.ProposalID,
				ActivityID: cm.ActivityID, ParentID: cm.ParentID, Author: ps.user(cm.AuthorID),
				Stance: string(cm.Stance), Body: cm.Body, CreatedAt: cm.CreatedAt.UTC(), EditedAt: utcPtrP(cm.EditedAt)})
		}
	}
	m := r.Moderation
	doc.Moderation = ModerationJSON{HiddenProposals: m.HiddenProposals, RejectedIdeas: m.RejectedIdeas,
		HiddenComments: m.HiddenComments, Reasons: []ReasonJSON{}}
	for _, rc := range m.Reasons {
		doc.Moderation.Reasons = append(doc.Moderation.Reasons, ReasonJSON{Reason: rc.Reason, Count: rc.Count})
	}
	return doc
}

func activityJSON(a *agora.Activity) ActivityJSON {
	aj := ActivityJSON{ID: a.ID, WorkshopID: a.WorkshopID, Position: a.Position, Kind: string(a.Kind),
		Prompt: a.Prompt, Options: []OptionJSON{}, Round: a.Round, OpenedAt: utcPtrP(a.OpenedAt),
		ClosedAt: utcPtrP(a.ClosedAt), OnlineUntil: utcPtrP(a.OnlineUntil)}
	s := a.Settings
	switch a.Kind {
	case agora.KindPoll:
		for _, o := range a.Options {
			aj.Options = append(aj.Options, OptionJSON{ID: o.ID, Label: o.Label})
		}
		aj.MaxChoices = &s.MaxChoices
	case agora.KindWordCloud:
		aj.MaxWords = &s.MaxWords
	case agora.KindScale:
		aj.ScaleMin, aj.ScaleMax = &s.ScaleMin, &s.ScaleMax
	case agora.KindIdeas:
		aj.Premoderated = s.Premoderation
	}
	return aj
}

// voteJSON keeps the answer of the activity's kind; the others are null.
func voteJSON(a *agora.Activity, v *agora.Vote, ps pseudonyms) VoteJSON {
	vj := VoteJSON{ActivityID: a.ID, Voter: ps.voter(v.ParticipantID, v.UserID), Channel: string(v.Channel),
		CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC()}
	switch a.Kind {
	case agora.KindPoll:
		vj.Choices = append([]int{}, v.Choices...)
	case agora.KindWordCloud:
		vj.Words = append([]string{}, v.Words...)
	case agora.KindScale:
		vj.Value = v.Value
	}
	return vj
}

func resultJSON(a *Activity) ResultJSON {
	t := a.Tally
	rj := ResultJSON{ActivityID: a.ID, Kind: string(a.Kind), Round: a.Round, Total: countsJSON(t)}
	if t.Room != nil {
		room := countsJSON(*t.Room)
		rj.Room = &room
	}
	if t.Online != nil {
		online := countsJSON(*t.Online)
		rj.Online = &online
	}
	if a.Kind == agora.KindIdeas {
		rj.Ideas = []IdeaJSON{}
		for _, i := range t.Ideas {
			rj.Ideas = append(rj.Ideas, IdeaJSON{ProposalID: i.ID, Supports: i.Supports,
				SupportsRoom: i.SupportsRoom, SupportsOnline: i.SupportsOnline})
		}
	}
	return rj
}

func countsJSON(t agora.Tally) CountsJSON {
	return CountsJSON{Voters: t.Voters, Options: t.Options, Words: t.Words, Scale: t.Scale}
}

func proposalJSON(p *agora.Proposal, ps pseudonyms, threshold int) ProposalJSON {
	pj := ProposalJSON{ID: p.ID, Origin: "online", WorkshopID: p.WorkshopID, ActivityID: p.ActivityID,
		Author: ps.voter(p.ParticipantID, p.AuthorID), Title: p.Title, Body: p.Body, Category: p.Category,
		SupportsRoom: p.SupportsRoom, SupportsOnline: p.SupportsOnline,
		Qualified: threshold > 0 && p.Supports() >= threshold, CreatedAt: p.CreatedAt.UTC()}
	if p.ActivityID != nil {
		pj.Origin = "room"
	}
	if p.Answer != agora.AnswerNone {
		pj.Answer = &AnswerJSON{Status: string(p.Answer), Text: p.AnswerText, AnsweredAt: utcPtrP(p.AnsweredAt)}
	}
	return pj
}
