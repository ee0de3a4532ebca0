package live

// Exported for the external tests.
const (
	TallyIdle       = tallyIdle
	TallySweepEvery = tallySweepEvery
)
