package agora

// CanBecome reports whether a consultation in status s may move to to: a
// draft opens, an open consultation closes, a closed one may reopen. A
// consultation never goes back to draft once citizens have seen it, and a
// draft cannot close without having opened. Staying put is always allowed.
func (s ConsultationStatus) CanBecome(to ConsultationStatus) bool {
	if s == to {
		return to.Valid()
	}
	switch s {
	case ConsultationDraft:
		return to == ConsultationOpen
	case ConsultationOpen:
		return to == ConsultationClosed
	case ConsultationClosed:
		return to == ConsultationOpen
	}
	return false
}

// CheckTransition returns an EINVALID error when s may not become to.
func (s ConsultationStatus) CheckTransition(to ConsultationStatus) error {
	if !to.Valid() {
		return Errorf(EINVALID, "error.status_invalid")
	}
	if !s.CanBecome(to) {
		return Errorf(EINVALID, "error.status_transition")
	}
	return nil
}
