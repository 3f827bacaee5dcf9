package report

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Size of a chart file.
const plotW, plotH = 8 * vg.Inch, 4.5 * vg.Inch

// WriteChartFiles writes every chart of d as NAME.png and NAME.svg in dir
// and returns the paths written. Text renders from gonum's embedded
// fonts, so nothing is fetched; the SVG embeds its fonts.
func WriteChartFiles(dir string, d *Document) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var paths []string
	for _, sec := range d.Sections {
		for _, c := range sec.Charts {
			p, err := c.plot()
			if err != nil {
				return paths, err
			}
			base := filepath.Join(dir, c.Name)
			png := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(plotW, plotH), vgimg.UseDPI(120))}
			p.Draw(draw.New(png))
			if err := writeAtomic(base+".png", func(w io.Writer) error { _, err := png.WriteTo(w); return err }); err != nil {
				return paths, err
			}
			svg := vgsvg.NewWith(vgsvg.UseWH(plotW, plotH), vgsvg.EmbedFonts(true))
			p.Draw(draw.New(svg))
			if err := writeAtomic(base+".svg", func(w io.Writer) error { _, err := svg.WriteTo(w); return err }); err != nil {
				return paths, err
			}
			paths = append(paths, base+".png", base+".svg")
		}
	}
	return paths, nil
}

// plot builds the gonum plot of c.
func (c *Chart) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	p.Y.Min = 0
	if m := c.max(); m > 0 {
		p.Y.Max = m * 1.25 // room for the legend above the data
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(8)
	p.Add(plotter.NewGrid())
	p.NominalX(tickLabels(c.Categories)...)
	ns := len(c.Series)
	bw := vg.Points(float64(plotW.Points()) * 0.7 / float64(max(1, len(c.Categories)*ns)))
	for k, s := range c.Series {
		col := hexColor(Palette[k%len(Palette)])
		if c.Lines {
			var xys plotter.XYs
			for j, v := range s.Values {
				if finite(v) {
					xys = append(xys, plotter.XY{X: float64(j), Y: v})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("report: chart %s: %w", c.Name, err)
			}
			l.Color, l.Width = col, vg.Points(2)
			pts.Color, pts.Shape = col, draw.CircleGlyph{}
			p.Add(l, pts)
			p.Legend.Add(s.Name, l, pts)
			continue
		}
		vals := make(plotter.Values, len(s.Values))
		for j, v := range s.Values {
			if finite(v) {
				vals[j] = v
			}
		}
		b, err := plotter.NewBarChart(vals, bw)
		if err != nil {
			return nil, fmt.Errorf("report: chart %s: %w", c.Name, err)
		}
		b.Color, b.LineStyle.Width = col, 0
		b.Offset = bw * vg.Length(float64(k)-float64(ns-1)/2)
		p.Add(b)
		p.Legend.Add(s.Name, b)
	}
	return p, nil
}

func hexColor(s string) color.Color {
	v, _ := strconv.ParseUint(s[1:], 16, 32)
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}
