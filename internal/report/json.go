package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes d as indented JSON: the summary, verdicts and tables
// of the report, for machines.
func WriteJSON(w io.Writer, d *Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
