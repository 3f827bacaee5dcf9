package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown renders d as GitHub-flavoured Markdown. Charts are linked
// as files under chartsDir (relative to the Markdown file) when it is not
// empty. Cell text is escaped so that a name cannot break a table or
// inject HTML.
func WriteMarkdown(w io.Writer, d *Document, chartsDir string) error {
	ew := &errWriter{w: w}
	p := ew.printf
	p("# %s\n\n", mdEscape(d.Title))
	p("Generated %s from %d result files · overall verdict **%s**\n\n", d.Generated.Format("2006-01-02 15:04 UTC"), len(d.Inputs), d.Verdict())
	p("## Executive summary\n\n")
	for _, part := range []struct {
		title string
		items []string
	}{{"Key findings", d.Summary.Findings}, {"Highlights", d.Summary.Highlights}, {"Recommendations", d.Summary.Recommendations}} {
		p("### %s\n\n", part.title)
		mdList(ew, part.items)
	}
	p("## Success criteria\n\n")
	crit := Table{Columns: []string{"criterion", "engine · model", "target", "acceptable", "measured", "verdict", "basis"}}
	for _, v := range d.Criteria {
		crit.Rows = append(crit.Rows, []string{v.Criterion, v.Subject, v.Target, v.Acceptable, v.Measured, "**" + string(v.Status) + "**", v.Basis})
	}
	mdTable(ew, crit)
	for _, sec := range d.Sections {
		p("## %s\n\n", mdEscape(sec.Title))
		for _, c := range sec.Charts {
			if chartsDir != "" {
				p("![%s](%s/%s.png)\n\n", mdEscape(c.Title), chartsDir, c.Name)
			}
		}
		for _, t := range sec.Tables {
			mdTable(ew, t)
		}
	}
	p("## Comparisons\n\n")
	if len(d.Comparisons) == 0 {
		p("Every suite measured one engine and model.\n\n")
	}
	for _, t := range d.Comparisons {
		p("### %s\n\n", mdEscape(t.Title))
		mdTable(ew, t)
	}
	if d.Variation != nil {
		p("## %s\n\n", d.Variation.Title)
		mdTable(ew, *d.Variation)
	}
	p("## System information\n\n")
	for _, t := range d.Systems {
		p("### %s\n\n", mdEscape(t.Title))
		mdTable(ew, t)
	}
	p("## Configuration\n\n")
	for _, c := range d.Configs {
		p("Used by %s:\n\n```yaml\n%s```\n\n", mdEscape(strings.Join(c.Results, ", ")), strings.ReplaceAll(c.YAML, "```", "'''"))
	}
	p("## Known limitations\n\n")
	mdList(ew, d.Limitations)
	p("## Metric definitions\n\n")
	for _, def := range d.Definitions {
		p("- **%s**: %s\n", def.Name, mdEscape(def.Text))
	}
	return ew.err
}

func mdList(ew *errWriter, items []string) {
	if len(items) == 0 {
		ew.printf("none\n\n")
		return
	}
	for _, it := range items {
		ew.printf("- %s\n", mdEscape(it))
	}
	ew.printf("\n")
}

func mdTable(ew *errWriter, t Table) {
	row := func(cells []string) {
		ew.printf("|")
		for _, c := range cells {
			ew.printf(" %s |", mdEscape(c))
		}
		ew.printf("\n")
	}
	row(t.Columns)
	ew.printf("|%s\n", strings.Repeat(" --- |", len(t.Columns)))
	for _, r := range t.Rows {
		row(r)
	}
	if t.Note != "" {
		ew.printf("\n%s\n", mdEscape(t.Note))
	}
	ew.printf("\n")
}

// mdEscape makes text safe in Markdown prose and table cells: HTML is
// shown, not interpreted, and a pipe does not end a cell. Bold markers
// added by this file pass through.
var mdEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", `\|`, "\n", " ", "`", "\\`", "[", `\[`, "]", `\]`).Replace

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
