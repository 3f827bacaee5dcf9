//go:build race

package infer

// raceEnabled says the race detector is on: its shadow memory inflates a
// process's RSS, so the RSS targets do not apply.
const raceEnabled = true
