package main

import "testing"

// TestTheBenchTopologyIsValid: the local cloud validates the topology it is
// given, so a baseline function the topology refuses would stop make bench at
// start.
func TestTheBenchTopologyIsValid(t *testing.T) {
	if err := benchTopology().Validate(); err != nil {
		t.Fatal(err)
	}
}
