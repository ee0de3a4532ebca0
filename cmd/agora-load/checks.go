package main

import "fmt"

// The targets of the issue, for a 2-core machine running everything.
const (
	targetAckP99MS        = 100
	targetVoteWindowMS    = 5000
	targetFinalTallyMS    = 500
	targetDeliveryP99MS   = 150
	targetCPUPerMessageUS = 10
	targetKiBPerSocket    = 48
)

// checks are what must hold for the run to count: nothing lost, nobody
// left out.
func checks(r *Report) []Check {
	c := []Check{
		{"every participant joined", r.Joined == r.Participants, fmt.Sprintf("%d of %d", r.Joined, r.Participants)},
		{"every participant voted and was acknowledged", r.VotesAcked == r.Joined && r.VotesSent == r.Joined,
			fmt.Sprintf("%d acked, %d sent, %d joined", r.VotesAcked, r.VotesSent, r.Joined)},
		{"no vote lost: acked = counted in the store", r.VotesLost == 0 && r.VotesCounted == r.VotesAcked && r.CountsMatch,
			fmt.Sprintf("%d acked, %d counted, per option equal: %v", r.VotesAcked, r.VotesCounted, r.CountsMatch)},
		{"projector shows the exact final tally", r.FinalTallyMS >= 0, fmt.Sprintf("%.0f ms", r.FinalTallyMS)},
		{"every room event reached every socket", r.DeliveriesMissed == 0, fmt.Sprintf("%d missed", r.DeliveriesMissed)},
		{"no socket error", r.SocketErrors == 0, fmt.Sprintf("%d", r.SocketErrors)},
		{"no sequence gap", r.SeqGaps == 0, fmt.Sprintf("%d", r.SeqGaps)},
	}
	if r.Readers > 0 {
		c = append(c, Check{"every public results read answered", r.ReadErrors == 0 && r.Reads.N > 0,
			fmt.Sprintf("%d read, %d errors", r.Reads.N, r.ReadErrors)})
	}
	return c
}

// targets are the speed goals; missing one fails the run only with -strict.
func targets(r *Report) []Check {
	t := []Check{
		{fmt.Sprintf("vote ack p99 < %d ms", targetAckP99MS), r.Ack.N > 0 && r.Ack.P99 < targetAckP99MS, fmt.Sprintf("%.1f ms", r.Ack.P99)},
		{fmt.Sprintf("all votes acked within %d ms", targetVoteWindowMS), r.VoteWindowMS > 0 && r.VoteWindowMS < targetVoteWindowMS, fmt.Sprintf("%.0f ms", r.VoteWindowMS)},
		{fmt.Sprintf("final tally on projector < %d ms after last ack", targetFinalTallyMS), r.FinalTallyMS >= 0 && r.FinalTallyMS < targetFinalTallyMS, fmt.Sprintf("%.0f ms", r.FinalTallyMS)},
		{fmt.Sprintf("room event delivery p99 < %d ms", targetDeliveryP99MS), r.Delivery.N > 0 && r.Delivery.P99 < targetDeliveryP99MS, fmt.Sprintf("%.1f ms", r.Delivery.P99)},
	}
	if len(r.ServerPIDs) > 0 {
		t = append(t,
			Check{fmt.Sprintf("server CPU < %d µs per delivered message", targetCPUPerMessageUS), r.CPUPerMessageUS > 0 && r.CPUPerMessageUS < targetCPUPerMessageUS, fmt.Sprintf("%.2f µs", r.CPUPerMessageUS)},
			Check{fmt.Sprintf("server memory < %d KiB per participant at rest", targetKiBPerSocket), r.RSSPerParticipantKiB < targetKiBPerSocket, fmt.Sprintf("%.1f KiB", r.RSSPerParticipantKiB)},
		)
	}
	return t
}
