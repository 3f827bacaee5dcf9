package cli

import (
	"os"

	"github.com/muaibench/muaibench/internal/config"
)

// defaultConfigPath is config/benchmark.yaml when it exists in the working
// directory, else none (the built-in defaults, which are the same).
func defaultConfigPath() string {
	if _, err := os.Stat("config/benchmark.yaml"); err == nil {
		return "config/benchmark.yaml"
	}
	return ""
}

// loadConfig loads the file, or the defaults for an empty path. Its
// errors are usage errors: nothing has been sent.
func loadConfig(path string) (*config.File, error) {
	f, err := config.Load(path)
	if err != nil {
		return nil, usageErr(err)
	}
	return f, nil
}
