package report

import (
	"embed"
	"html/template"
	"io"
	"strings"
)

//go:embed assets
var assets embed.FS

// templates are the HTML pages; html/template escapes every string from
// the results (engine and model names, warnings) for its context.
var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"css": func() template.CSS {
		b, _ := assets.ReadFile("assets/report.css")
		return template.CSS(b)
	},
	// svg is a chart drawn by Chart.SVG, which escapes its own text.
	"svg":         func(c *Chart) template.HTML { return template.HTML(c.SVG()) },
	"statusClass": statusClass,
	"join":        strings.Join,
	"numeric":     numeric,
	"index1": func(s []string, i int) string {
		if i < len(s) {
			return s[i]
		}
		return ""
	},
}).ParseFS(assets, "assets/*.tmpl"))

// Verdict is the worst status among the measured success criteria.
func (d *Document) Verdict() Status { return Worst(d.Criteria) }

func statusClass(s Status) string {
	return strings.ReplaceAll(strings.ToLower(string(s)), " ", "-")
}

// WriteHTML renders d as one self-contained HTML page: styles inline,
// charts as inline SVG, no script and nothing fetched (its
// Content-Security-Policy forbids it).
func WriteHTML(w io.Writer, d *Document) error {
	return templates.ExecuteTemplate(w, "report.html.tmpl", d)
}

// numeric reports whether a cell holds a figure (right-aligned).
func numeric(s string) bool {
	if s == "-" {
		return true
	}
	s = strings.TrimLeft(s, "+-[")
	return s != "" && s[0] >= '0' && s[0] <= '9'
}
