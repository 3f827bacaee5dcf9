package report

import (
	"fmt"
	"html"
	"strconv"
	"strings"
)

// SVG sizes of an inline chart, in CSS pixels.
const (
	svgW, svgH                         = 760, 380
	svgLeft, svgRight, svgTop, svgBott = 70, 20, 40, 96
)

// SVG draws the chart as an inline SVG element. Every text from the data
// (engine and model names, scenario names) is escaped.
func (c *Chart) SVG() string {
	var b strings.Builder
	esc := html.EscapeString
	pw, ph := float64(svgW-svgLeft-svgRight), float64(svgH-svgTop-svgBott)
	// The legend has three series a row, or one when names are long.
	perRow := 3
	for _, s := range c.Series {
		if len([]rune(s.Name)) > 32 {
			perRow = 1
		}
	}
	rows := (len(c.Series) + perRow - 1) / perRow
	height := svgTop + int(ph) + 56 + 18*rows
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		esc(c.Name), svgW, height, svgW, height, esc(c.Title))
	fmt.Fprintf(&b, `<text x="%d" y="24" class="ct">%s</text>`, svgW/2, esc(c.Title))
	ticks := niceTicks(c.max(), 5)
	top := ticks[len(ticks)-1]
	y := func(v float64) float64 { return float64(svgTop) + ph*(1-v/top) }
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, svgLeft, svgW-svgRight, y(t), y(t))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="yt">%s</text>`, svgLeft-6, y(t)+4, esc(strconv.FormatFloat(t, 'g', 6, 64)))
	}
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" class="al">%s</text>`, float64(svgTop)+ph/2, esc(c.YLabel))
	n := len(c.Categories)
	slot := pw / float64(n)
	cx := func(j int) float64 { return float64(svgLeft) + slot*(float64(j)+0.5) }
	for j, cat := range tickLabels(c.Categories) {
		if cat == "" {
			continue
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="xt">%s</text>`, cx(j), svgTop+int(ph)+16, esc(cat))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="al">%s</text>`, float64(svgLeft)+pw/2, svgTop+int(ph)+36, esc(c.XLabel))
	ns := len(c.Series)
	for k, s := range c.Series {
		col := Palette[k%len(Palette)]
		if c.Lines {
			var pts []string
			flush := func() {
				if len(pts) > 1 {
					fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"/>`, strings.Join(pts, " "), col)
				}
				pts = pts[:0]
			}
			for j, v := range s.Values {
				if !finite(v) {
					flush()
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", cx(j), y(v)))
			}
			flush()
			for j, v := range s.Values {
				if finite(v) {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s: %s</title></circle>`, cx(j), y(v), col, esc(s.Name), esc(num(v, 1)))
				}
			}
			continue
		}
		group := slot * 0.8
		bw := group / float64(ns)
		for j, v := range s.Values {
			if !finite(v) {
				continue
			}
			x := cx(j) - group/2 + bw*float64(k)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`,
				x, y(v), bw*0.92, float64(svgTop)+ph-y(v), col, esc(s.Name), esc(c.Categories[j]), esc(num(v, 1)))
		}
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="axis"/>`, svgLeft, svgW-svgRight, y(0), y(0))
	for k, s := range c.Series {
		lx := float64(svgLeft) + float64(k%perRow)*pw/float64(perRow)
		ly := svgTop + int(ph) + 56 + 18*(k/perRow)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="12" height="12" fill="%s"/><text x="%.1f" y="%d" class="lg">%s</text>`,
			lx, ly-10, Palette[k%len(Palette)], lx+18, ly, esc(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
