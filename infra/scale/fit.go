package scale

import (
	"errors"
	"math"
)

// Fit is a power law y = Coef × x^Exponent fitted by least squares on log–log
// axes: Exponent 1 is linear growth (a flat cost per item), above 1 a cost per
// item that grows with the size. R2 is the fit's coefficient of determination
// on the logs.
type Fit struct {
	Exponent float64 `json:"exponent"`
	Coef     float64 `json:"coef"`
	R2       float64 `json:"r2"`
	N        int     `json:"n"`
}

// FitPower fits y = c·x^k through the points with x, y > 0 (others are
// skipped: a log of zero has no place on the axes). It needs two distinct
// sizes.
func FitPower(xs, ys []float64) (Fit, error) {
	var lx, ly []float64
	for i := range xs {
		if i < len(ys) && xs[i] > 0 && ys[i] > 0 {
			lx, ly = append(lx, math.Log(xs[i])), append(ly, math.Log(ys[i]))
		}
	}
	n := float64(len(lx))
	if len(lx) < 2 {
		return Fit{N: len(lx)}, errors.New("scale: a fit needs two points with positive values")
	}
	var sx, sy, sxx, sxy float64
	for i := range lx {
		sx += lx[i]
		sy += ly[i]
		sxx += lx[i] * lx[i]
		sxy += lx[i] * ly[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return Fit{N: len(lx)}, errors.New("scale: a fit needs two distinct sizes")
	}
	k := (n*sxy - sx*sy) / den
	b := (sy - k*sx) / n
	mean := sy / n
	var ssTot, ssRes float64
	for i := range lx {
		ssTot += (ly[i] - mean) * (ly[i] - mean)
		r := ly[i] - (b + k*lx[i])
		ssRes += r * r
	}
	r2 := 1.0
	if ssTot > 0 {
		r2 = 1 - ssRes/ssTot
	}
	return Fit{Exponent: k, Coef: math.Exp(b), R2: r2, N: len(lx)}, nil
}

// At is the fitted value at x: an extrapolation outside the measured sizes.
func (f Fit) At(x float64) float64 { return f.Coef * math.Pow(x, f.Exponent) }

// Reach is the size at which the fitted value reaches y (+Inf when it never
// grows).
func (f Fit) Reach(y float64) float64 {
	if f.Exponent <= 0 || f.Coef <= 0 {
		return math.Inf(1)
	}
	return math.Pow(y/f.Coef, 1/f.Exponent)
}
