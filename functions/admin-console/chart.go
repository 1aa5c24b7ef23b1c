package main

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// Charts are drawn on the server as SVG: no script, no CDN, nothing for the
// CSP to allow. Colours are attributes (the CSP forbids inline styles).

type point struct {
	At    time.Time
	Value float64
}

type bar struct {
	Label string
	Value float64
}

const (
	chartW, chartH = 560, 200
	padL, padR     = 56, 12
	padT, padB     = 28, 30
)

// niceMax rounds a maximum up to 1, 2 or 5 × a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func lineChart(title string, pts []point, format string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="chart"><svg viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14" font-weight="bold" fill="#222">%s</text>`, padL, html.EscapeString(title))
	top := 0.0
	for _, p := range pts {
		top = max(top, p.Value)
	}
	if format == "%.0f" {
		top = max(top, 5) // whole-number ticks
	}
	top = niceMax(top)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	const ticks = 5
	for i := 0; i <= ticks; i++ {
		y := float64(padT) + plotH - plotH*float64(i)/ticks
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, padL, chartW-padR, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#555">%s</text>`, padL-6, y+4,
			html.EscapeString(fmt.Sprintf(format, top*float64(i)/ticks)))
	}
	if len(pts) > 0 {
		x := func(i int) float64 {
			if len(pts) == 1 {
				return float64(padL) + plotW/2
			}
			return float64(padL) + plotW*float64(i)/float64(len(pts)-1)
		}
		y := func(v float64) float64 { return float64(padT) + plotH - plotH*v/top }
		var path strings.Builder
		for i, p := range pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x(i), y(p.Value))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#1f6feb" stroke-width="2" class="series"/>`, strings.TrimSpace(path.String()))
		for i, p := range pts {
			if p.Value > 0 {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="#1f6feb"><title>%s: %s</title></circle>`, x(i), y(p.Value),
					p.At.UTC().Format("Jan 2 15:04"), html.EscapeString(fmt.Sprintf(format, p.Value)))
			}
		}
		layout := "15:04"
		if len(pts) > 1 && pts[1].At.Sub(pts[0].At) >= 24*time.Hour {
			layout = "Jan 2"
		}
		for _, i := range []int{0, len(pts) / 2, len(pts) - 1} {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>`, x(i), chartH-10,
				pts[i].At.UTC().Format(layout))
		}
	}
	b.WriteString(`</svg></figure>`)
	return b.String() // every text in it is escaped
}

func barChart(title string, bars []bar) string {
	var b strings.Builder
	h := padT + 22*max(len(bars), 1) + 8
	fmt.Fprintf(&b, `<figure class="chart"><svg viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="8" y="18" font-size="14" font-weight="bold" fill="#222">%s</text>`, html.EscapeString(title))
	top := 0.0
	for _, x := range bars {
		top = max(top, x.Value)
	}
	top = niceMax(top)
	const labelW = 120
	for i, x := range bars {
		y := padT + 22*i
		w := float64(chartW-labelW-60) * x.Value / top
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#333">%s</text>`, labelW-6, y+14, html.EscapeString(x.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="16" fill="#2da44e" class="series"/>`, labelW, y+2, w)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#333">%.0f</text>`, float64(labelW)+w+4, y+14, x.Value)
	}
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text x="8" y="%d" font-size="12" fill="#555">no data in this range</text>`, padT+14)
	}
	b.WriteString(`</svg></figure>`)
	return b.String() // every text in it is escaped
}
