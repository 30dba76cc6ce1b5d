package ui

import (
	"fmt"
	"math"
	"strings"
)

// Chart is a line chart drawn as SVG: the series as a path, reference
// lines across, ticks on both axes. Coordinates are in the SVG's user
// units (W x H); the plot sits inside the margins.
type Chart struct {
	W, H   float64
	Left   float64 // x of the plot's left edge
	Top    float64
	Right  float64
	Bottom float64
	// Path is the series' SVG path, Dots its points.
	Path string
	Dots []Point
	// Refs are horizontal reference lines (the naive schedule, ...).
	Refs   []Ref
	YTicks []Tick
	XTicks []Tick
	// XLabel and YLabel name the axes.
	XLabel, YLabel string
}

// Point is a point of the chart, in SVG units, with its value in words.
type Point struct {
	X, Y  float64
	Label string
}

// Ref is a labelled horizontal line.
type Ref struct {
	Y     float64
	Label string
	Class string
}

// Tick is an axis mark at a position (Y for the y axis, X for the x axis).
type Tick struct {
	Pos   float64
	Label string
}

// Series is what a chart shows: points (x, y) and reference levels.
type Series struct {
	X, Y           []float64
	XMax           float64 // the x axis runs 0..XMax (at least the largest x)
	Refs           []RefLevel
	XLabel, YLabel string
	W, H           float64
}

// RefLevel is a reference level of a Series.
type RefLevel struct {
	Value        float64
	Label, Class string
}

// Draw lays a Series out.
func (s Series) Draw() Chart {
	c := Chart{W: s.W, H: s.H, Left: 48, Top: 12, Right: s.W - 16, Bottom: s.H - 30, XLabel: s.XLabel, YLabel: s.YLabel}
	xmax, ymax := s.XMax, 0.0
	for i := range s.X {
		xmax = math.Max(xmax, s.X[i])
		ymax = math.Max(ymax, s.Y[i])
	}
	for _, r := range s.Refs {
		ymax = math.Max(ymax, r.Value)
	}
	if xmax <= 0 {
		xmax = 1
	}
	ystep := niceStep(ymax / 4)
	ytop := ystep * math.Ceil(ymax*1.08/ystep)
	if ytop <= 0 {
		ytop, ystep = 1, 0.25
	}
	x := func(v float64) float64 { return c.Left + (c.Right-c.Left)*v/xmax }
	y := func(v float64) float64 { return c.Bottom - (c.Bottom-c.Top)*v/ytop }
	for v := 0.0; v <= ytop+ystep/2; v += ystep {
		c.YTicks = append(c.YTicks, Tick{y(v), trimFloat(v)})
	}
	xstep := niceStep(xmax / 5)
	for v := 0.0; v <= xmax+xstep/2; v += xstep {
		if v <= xmax {
			c.XTicks = append(c.XTicks, Tick{x(v), trimFloat(v)})
		}
	}
	var b strings.Builder
	for i := range s.X {
		px, py := x(s.X[i]), y(s.Y[i])
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%.1f %.1f ", cmd, px, py)
		c.Dots = append(c.Dots, Point{px, py, fmt.Sprintf("%s %s: %.2f", s.XLabel, trimFloat(s.X[i]), s.Y[i])})
	}
	c.Path = strings.TrimSpace(b.String())
	for _, r := range s.Refs {
		if r.Value > 0 {
			c.Refs = append(c.Refs, Ref{y(r.Value), fmt.Sprintf("%s %.2f", r.Label, r.Value), r.Class})
		}
	}
	return c
}

// niceStep rounds a step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// F writes an SVG coordinate.
func F(v float64) string { return fmt.Sprintf("%.1f", v) }
