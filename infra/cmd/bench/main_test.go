package main

import (
	"strings"
	"testing"
)

// TestTheBenchTopologyIsValid: the local cloud validates the topology it is
// given, so a baseline function the topology refuses would stop make bench at
// start.
func TestTheBenchTopologyIsValid(t *testing.T) {
	if err := benchTopology().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestTheMetricsCostIsMeasured runs make bench's metrics step: its three
// rows are read from the benchmarks' output, each with a cost.
func TestTheMetricsCostIsMeasured(t *testing.T) {
	t.Chdir("../../..")
	b := &bench{r: &Report{}}
	if err := b.metricsCost(); err != nil {
		t.Fatal(err)
	}
	if len(b.r.Metrics) != 3 {
		t.Fatalf("rows %+v", b.r.Metrics)
	}
	for _, m := range b.r.Metrics {
		if m.NsPerOp <= 0 || m.VsLogLine <= 0 {
			t.Errorf("row %+v", m)
		}
	}
	if md := b.r.Markdown(); !strings.Contains(md, "## 7b. Business metrics per invocation") {
		t.Error("the report has no metrics section")
	}
}
