package tracking

import (
	"context"
	"math"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/experiment"
)

// ExperimentReport is one A/B experiment's numbers per variant over whole
// days, from the day partials' variant slices (events are tagged with their
// user's variants when accepted).
//
// The unit of the counts is the user-day: a reader active on three days
// counts three times, as in the daily KPIs. The intervals are 95% Wilson
// intervals for proportions (reader CTR over viewer-days, next-day retention
// over user-days) and a normal interval for reads per user-day with a
// Poisson variance; user-days of one reader are not independent, so the
// intervals are somewhat narrower than the truth for heavy readers.
type ExperimentReport struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	From        string          `json:"from"` // first day, YYYYMMDD
	To          string          `json:"to"`   // last day
	Variants    []VariantReport `json:"variants"`
	// SRM is the sample-ratio-mismatch check: a chi-square test of the
	// variants' user-days against their declared shares. A p-value under
	// 0.001 says the split is broken (assignment, logging or a variant that
	// drives users away): the other numbers should not be trusted.
	SRM SRMCheck `json:"srm"`
}

// VariantReport is one variant's numbers.
type VariantReport struct {
	Name      string   `json:"name"`
	Share     float64  `json:"share"` // declared
	Params    any      `json:"params,omitempty"`
	UserDays  int64    `json:"user_days"`
	Viewers   int64    `json:"viewer_days"`
	Clickers  int64    `json:"viewer_click_days"`
	ReaderCTR Estimate `json:"reader_ctr"`
	Reads     int64    `json:"reads"`
	// ReadsPer is raw read events per user-day: one install sending many
	// reads moves it; Reading (the share of user-days with a read, each
	// reader once) does not.
	ReadsPer  Estimate `json:"reads_per_user_day"`
	ReadUsers int64    `json:"reading_user_days"`
	Reading   Estimate `json:"reading"`
	Returning int64    `json:"returning"`
	// Retention is next-day retention: of the variant's users of a day, the
	// share active the next day (days in the report whose previous day is
	// counted too).
	Retention Estimate `json:"retention"`
	// CTRLift is the reader CTR minus the first variant's (the control),
	// with its 95% interval; zero for the control.
	CTRLift Estimate `json:"reader_ctr_lift"`
}

// Estimate is a value with its 95% interval.
type Estimate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// SRMCheck is a chi-square goodness-of-fit test of the split.
type SRMCheck struct {
	ChiSquare float64 `json:"chi_square"`
	P         float64 `json:"p"`
	Mismatch  bool    `json:"mismatch"`
}

// MaxExperimentDays bounds a report's range.
const MaxExperimentDays = 92

// Experiments reports every declared experiment that ran within [from, to]
// (whole days, clipped to each experiment's own dates).
func (s *Service) Experiments(ctx context.Context, from, to time.Time) ([]ExperimentReport, error) {
	from, to = from.UTC().Truncate(24*time.Hour), to.UTC().Truncate(24*time.Hour)
	if to.Before(from) || to.Sub(from) > MaxExperimentDays*24*time.Hour {
		return nil, kiosk.Errorf(kiosk.EINVALID, "from must be before to, at most %d days apart", MaxExperimentDays)
	}
	out := []ExperimentReport{}
	for _, e := range experiment.All {
		first, last := maxTime(from, e.Start.UTC().Truncate(24*time.Hour)), minTime(to, e.End.UTC().Add(-time.Nanosecond).Truncate(24*time.Hour))
		if last.Before(first) {
			continue
		}
		// The day before the first too: the first day's retention needs its users.
		rows, err := s.Query(ctx, Day, "variant", first.Add(-24*time.Hour), last)
		if err != nil {
			return nil, err
		}
		out = append(out, experimentReport(e, rows, first, last))
	}
	return out, nil
}

func experimentReport(e experiment.Experiment, rows []Row, first, last time.Time) ExperimentReport {
	r := ExperimentReport{Name: e.Name, Description: e.Description, From: first.Format(dayLayout), To: last.Format(dayLayout)}
	type sums struct {
		Counts
		prevUsers int64 // users of the days before the counted days
		returning int64
	}
	by := map[string]*sums{}
	for _, v := range e.Variants {
		by[v.Name] = &sums{}
	}
	usersOn := map[[2]string]int64{} // (variant, day) → users
	for _, row := range rows {
		name, variant, ok := experiment.Split(row.Key)
		if !ok || name != e.Name || by[variant] == nil {
			continue
		}
		usersOn[[2]string{variant, row.Period}] = row.Users
		day, err := time.Parse(dayLayout, row.Period)
		if err != nil || day.Before(first) {
			continue
		}
		by[variant].add(row.Counts)
	}
	for _, row := range rows {
		name, variant, ok := experiment.Split(row.Key)
		day, err := time.Parse(dayLayout, row.Period)
		if !ok || name != e.Name || by[variant] == nil || err != nil || day.Before(first) {
			continue
		}
		if prev, ok := usersOn[[2]string{variant, day.Add(-24 * time.Hour).Format(dayLayout)}]; ok && prev > 0 {
			by[variant].prevUsers += prev
			by[variant].returning += row.Returning
		}
	}
	var observed []float64
	var shares []float64
	for i, v := range e.Variants {
		s := by[v.Name]
		vr := VariantReport{Name: v.Name, Share: e.Share(v.Name), UserDays: s.Users, Viewers: s.Viewers,
			Clickers: s.ViewerClicks, Reads: s.Reads, Returning: s.returning,
			ReaderCTR: wilson(s.ViewerClicks, s.Viewers), Retention: wilson(s.returning, s.prevUsers),
			ReadsPer: poissonRate(s.Reads, s.Users), ReadUsers: s.ReadUsers, Reading: wilson(s.ReadUsers, s.Users)}
		if len(v.Params) > 0 {
			vr.Params = v.Params
		}
		if i > 0 {
			c := by[e.Variants[0].Name]
			vr.CTRLift = diffOfProportions(s.ViewerClicks, s.Viewers, c.ViewerClicks, c.Viewers)
		}
		r.Variants = append(r.Variants, vr)
		observed = append(observed, float64(s.Users))
		shares = append(shares, vr.Share)
	}
	r.SRM = srm(observed, shares)
	return r
}

// wilson is the 95% Wilson score interval of k successes in n trials.
func wilson(k, n int64) Estimate {
	if n <= 0 {
		return Estimate{}
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	den := 1 + z*z/nf
	mid := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return Estimate{Value: p, Low: max(0, mid-half), High: min(1, mid+half)}
}

// poissonRate is count/n with a normal 95% interval under a Poisson count.
func poissonRate(count, n int64) Estimate {
	if n <= 0 {
		return Estimate{}
	}
	v := float64(count) / float64(n)
	half := 1.959963984540054 * math.Sqrt(float64(count)) / float64(n)
	return Estimate{Value: v, Low: max(0, v-half), High: v + half}
}

// diffOfProportions is k1/n1 − k0/n0 with Newcombe's hybrid score 95%
// interval (from the two Wilson intervals): unlike the Wald interval it
// does not collapse to zero width when a proportion is 0 or 1, and it stays
// within [−1, 1].
func diffOfProportions(k1, n1, k0, n0 int64) Estimate {
	if n1 <= 0 || n0 <= 0 {
		return Estimate{}
	}
	a, b := wilson(k1, n1), wilson(k0, n0)
	d := a.Value - b.Value
	low := d - math.Sqrt((a.Value-a.Low)*(a.Value-a.Low)+(b.High-b.Value)*(b.High-b.Value))
	high := d + math.Sqrt((a.High-a.Value)*(a.High-a.Value)+(b.Value-b.Low)*(b.Value-b.Low))
	return Estimate{Value: d, Low: max(-1, low), High: min(1, high)}
}

// srm tests observed counts against expected shares (chi-square,
// len-1 degrees of freedom).
func srm(observed, shares []float64) SRMCheck {
	total := 0.0
	for _, o := range observed {
		total += o
	}
	if total == 0 || len(observed) < 2 {
		return SRMCheck{P: 1}
	}
	chi := 0.0
	for i, o := range observed {
		e := shares[i] * total
		if e > 0 {
			chi += (o - e) * (o - e) / e
		}
	}
	p := chiSquareSurvival(chi, float64(len(observed)-1))
	return SRMCheck{ChiSquare: chi, P: p, Mismatch: p < 0.001}
}

// chiSquareSurvival is P(X ≥ x) for X chi-square with k degrees of freedom:
// the regularised upper incomplete gamma Q(k/2, x/2).
func chiSquareSurvival(x, k float64) float64 {
	if x <= 0 {
		return 1
	}
	return upperGamma(k/2, x/2)
}

// upperGamma is the regularised upper incomplete gamma function Q(a, x), by
// its series below a+1 and its continued fraction above (Numerical Recipes,
// 6.2).
func upperGamma(a, x float64) float64 {
	lg, _ := math.Lgamma(a)
	if x < a+1 {
		sum, term := 1/a, 1/a
		for n := 1; n < 500; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-15 {
				break
			}
		}
		return max(0, 1-sum*math.Exp(-x+a*math.Log(x)-lg))
	}
	const tiny = 1e-300
	b := x + 1 - a
	c, d := 1/tiny, 1/b
	h := d
	for i := 1; i < 500; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return math.Exp(-x+a*math.Log(x)-lg) * h
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ExperimentDays is the range a report covers when none is asked for.
const ExperimentDays = 14

// ExperimentsReport answers a report request as the API gets it: from and
// to are days (YYYY-MM-DD), by default the last ExperimentDays days.
func (s *Service) ExperimentsReport(ctx context.Context, from, to string) ([]ExperimentReport, error) {
	today := s.now().UTC().Truncate(24 * time.Hour)
	f, t := today.Add(-(ExperimentDays-1)*24*time.Hour), today
	var err error
	if from != "" {
		if f, err = time.Parse(time.DateOnly, from); err != nil {
			return nil, kiosk.Errorf(kiosk.EINVALID, "from is a day, YYYY-MM-DD")
		}
	}
	if to != "" {
		if t, err = time.Parse(time.DateOnly, to); err != nil {
			return nil, kiosk.Errorf(kiosk.EINVALID, "to is a day, YYYY-MM-DD")
		}
	}
	return s.Experiments(ctx, f, t)
}
