package scale

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Series is one curve of a chart: measured points and, dashed, the fit
// carried on to the sizes the chart extrapolates to.
type Series struct {
	Name   string
	X, Y   []float64
	Fit    *Fit
	FitTo  float64 // extrapolate the fit up to this size (0: to the last point)
	Dashed bool
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// LogLogChart draws series on log–log axes as an SVG, each decade a grid
// line, a measured point a dot, and the fit a dashed line.
func LogLogChart(title, xLabel, yLabel string, series []Series) string {
	const w, h, left, right, top, bottom = 640.0, 360.0, 70.0, 20.0, 40.0, 50.0
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	see := func(x, y float64) {
		if x > 0 && y > 0 {
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
	}
	for _, s := range series {
		for i := range s.X {
			see(s.X[i], s.Y[i])
		}
		if s.Fit != nil && s.FitTo > 0 {
			see(s.FitTo, s.Fit.At(s.FitTo))
		}
	}
	if math.IsInf(minX, 1) {
		minX, maxX, minY, maxY = 1, 10, 1, 10
	}
	x0, x1 := math.Floor(math.Log10(minX)), math.Ceil(math.Log10(maxX))
	y0, y1 := math.Floor(math.Log10(minY)), math.Ceil(math.Log10(maxY))
	if x1 == x0 {
		x1++
	}
	if y1 == y0 {
		y1++
	}
	px := func(x float64) float64 { return left + (math.Log10(x)-x0)/(x1-x0)*(w-left-right) }
	py := func(y float64) float64 { return h - bottom - (math.Log10(y)-y0)/(y1-y0)*(h-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%.0f" y="20" font-size="14">%s</text>`, left, html.EscapeString(title))
	for d := x0; d <= x1; d++ {
		x := left + (d-x0)/(x1-x0)*(w-left-right)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/><text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`,
			x, top, x, h-bottom, x, h-bottom+15, tick(d))
	}
	for d := y0; d <= y1; d++ {
		y := h - bottom - (d-y0)/(y1-y0)*(h-top-bottom)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`,
			left, y, w-right, y, left-5, y+4, tick(d))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text>`, (left+w-right)/2, h-12, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%.0f" transform="rotate(-90 14 %.0f)" text-anchor="middle">%s</text>`, (top+h-bottom)/2, (top+h-bottom)/2, html.EscapeString(yLabel))
	for i, s := range series {
		color := palette[i%len(palette)]
		var pts []string
		for j := range s.X {
			if s.X[j] > 0 && s.Y[j] > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[j]), py(s.Y[j])))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, px(s.X[j]), py(s.Y[j]), color)
			}
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`, strings.Join(pts, " "), color)
		}
		if s.Fit != nil && len(s.X) > 0 {
			from, to := s.X[0], s.X[len(s.X)-1]
			if s.FitTo > to {
				to = s.FitTo
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="5,4"/>`,
				px(from), py(s.Fit.At(from)), px(to), py(s.Fit.At(to)), color)
		}
		label := s.Name
		if s.Fit != nil {
			label += fmt.Sprintf(" (exponent %.2f)", s.Fit.Exponent)
		}
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`,
			left+10, top+5+float64(i)*15, color, left+25, top+14+float64(i)*15, html.EscapeString(label))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// tick labels the decade 10^d: 100, 1k, 10M.
func tick(d float64) string { return withPrefix(math.Pow(10, d), "%g", "%g") }
