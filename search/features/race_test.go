//go:build race

package features

// raceEnabled: the race detector makes sync.Pool drop items at random.
const raceEnabled = true
