package main

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

// experiments shows every A/B experiment of the range: per variant its
// user-days, reader CTR, reads per user-day and next-day retention with
// their 95% intervals, the CTR lift against control, and the
// sample-ratio-mismatch check.
func (c *console) experiments(w http.ResponseWriter, r *http.Request, v view) {
	q := r.URL.Query()
	reports, err := c.kpi.ExperimentsReport(r.Context(), q.Get("from"), q.Get("to"))
	if err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	pct := func(e tracking.Estimate) string {
		return fmt.Sprintf("%.1f%% (%.1f–%.1f)", e.Value*100, e.Low*100, e.High*100)
	}
	body := web.Nodes{web.E("p", nil, web.T("Experiments are declared in shared/platform/experiment; a reader's variant is a "+
		"salted hash of the experiment and their id. Counts are user-days, from the KPI batch's day numbers; "+
		"intervals are 95%."))}
	if len(reports) == 0 {
		body = append(body, web.E("p", web.At(web.A("class", "notice")), web.T("No experiment ran in this range.")))
	}
	for _, e := range reports {
		var trs []web.Node
		for _, vr := range e.Variants {
			params := "control"
			if m, ok := vr.Params.(map[string]float64); ok && len(m) > 0 {
				var kv []string
				for k, x := range m {
					kv = append(kv, k+"="+strconv.FormatFloat(x, 'g', -1, 64))
				}
				sort.Strings(kv)
				params = strings.Join(kv, ", ")
			}
			lift := "—"
			if vr.Name != e.Variants[0].Name {
				lift = fmt.Sprintf("%+.1f pts (%+.1f to %+.1f)", vr.CTRLift.Value*100, vr.CTRLift.Low*100, vr.CTRLift.High*100)
			}
			trs = append(trs, web.Row(nil, []string{vr.Name, params, fmt.Sprintf("%.0f%%", vr.Share*100),
				strconv.FormatInt(vr.UserDays, 10), pct(vr.ReaderCTR), lift,
				pct(vr.Reading), fmt.Sprintf("%.2f (%.2f–%.2f)", vr.ReadsPer.Value, vr.ReadsPer.Low, vr.ReadsPer.High),
				pct(vr.Retention)}))
		}
		srm := fmt.Sprintf("Split check: chi-square %.2f, p = %.3g — the split matches the declared shares.", e.SRM.ChiSquare, e.SRM.P)
		if e.SRM.Mismatch {
			srm = fmt.Sprintf("Sample ratio mismatch: chi-square %.2f, p = %.3g. The split does not match the declared shares: "+
				"do not trust these numbers until the cause (assignment, logging, a variant driving readers away) is found.",
				e.SRM.ChiSquare, e.SRM.P)
		}
		body = append(body, web.E("h2", nil, web.T(e.Name)), web.E("p", nil, web.T(e.Description)),
			web.E("p", nil, web.T(fmt.Sprintf("Days %s to %s.", e.From, e.To))),
			web.Table("experiment-"+e.Name, []string{"Variant", "Parameters", "Share", "User-days", "Reader CTR",
				"CTR lift", "Reading", "Reads per user-day", "Next-day retention"}, trs, "No data."),
			web.E("p", web.At(web.A("class", map[bool]string{true: "notice", false: ""}[e.SRM.Mismatch])), web.T(srm)))
	}
	v.Title, v.Nav, v.Body = "Experiments", "experiments", body
	c.site.Render(w, r, http.StatusOK, v)
}
