package load

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for the benchmarks' streaming
// server process.
func TestMain(m *testing.M) {
	if mode := os.Getenv(serverEnv); mode != "" {
		runServer(mode)
	}
	os.Exit(m.Run())
}
