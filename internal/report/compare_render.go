package report

import (
	"encoding/json"
	"io"
)

// Charts draws, for each metric measured in milliseconds or per second,
// the baseline and the candidate per scenario.
func (c *Comparison) Charts() []*Chart {
	var out []*Chart
	for _, metric := range []string{"TTFT p50 ms", "E2E p50 ms", "tok/s per request"} {
		ch := &Chart{Name: "compare_" + metric, Title: metric + ": baseline and candidate", XLabel: "scenario", YLabel: metric}
		base := ChartSeries{Name: "baseline " + c.Baseline}
		cand := ChartSeries{Name: "candidate " + c.Candidate}
		for _, x := range c.Changes {
			if x.Metric == metric {
				ch.Categories = append(ch.Categories, x.Scenario)
				base.Values = append(base.Values, x.Baseline)
				cand.Values = append(cand.Values, x.Candidate)
			}
		}
		if len(ch.Categories) > 0 {
			ch.Series = []ChartSeries{base, cand}
			out = append(out, ch)
		}
	}
	return out
}

// WriteCompareHTML renders c as one self-contained HTML page.
func WriteCompareHTML(w io.Writer, c *Comparison) error {
	return templates.ExecuteTemplate(w, "compare.html.tmpl", c)
}

// WriteCompareMarkdown renders c as Markdown.
func WriteCompareMarkdown(w io.Writer, c *Comparison) error {
	ew := &errWriter{w: w}
	ew.printf("# Comparison: %s\n\n", mdEscape(c.Title))
	ew.printf("Generated %s · baseline %s · candidate %s · %d regressions\n\n",
		c.Generated.Format("2006-01-02 15:04 UTC"), mdEscape(c.Baseline), mdEscape(c.Candidate), c.Regressions())
	mdTable(ew, c.Table())
	if len(c.Notes) > 0 {
		ew.printf("## Notes\n\n")
		mdList(ew, c.Notes)
	}
	return ew.err
}

// WriteCompareJSON writes c as indented JSON.
func WriteCompareJSON(w io.Writer, c *Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
