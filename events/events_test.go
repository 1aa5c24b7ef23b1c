package events

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite schemas/ from the Go types")

// TestSchemasMatchTypes keeps schemas/ generated from the Go structs.
func TestSchemasMatchTypes(t *testing.T) {
	for _, typ := range Catalog {
		t.Run(typ.DetailType, func(t *testing.T) {
			want, err := json.MarshalIndent(Schema(typ), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			path := filepath.Join("schemas", typ.DetailType+".json")
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%s is missing (run go test ./events -update): %v", path, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is out of date with its Go type; run go test ./events -update", path)
			}
		})
	}
}

// TestSamplesMatchSchemas checks every catalogue sample: an EventBridge envelope
// whose source matches the catalogue and whose detail passes the schema and
// decodes strictly into the Go type.
func TestSamplesMatchSchemas(t *testing.T) {
	for _, typ := range Catalog {
		t.Run(typ.DetailType, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("samples", typ.DetailType+".json"))
			if err != nil {
				t.Fatalf("sample missing: %v", err)
			}
			var env struct {
				Version    string          `json:"version"`
				ID         string          `json:"id"`
				DetailType string          `json:"detail-type"`
				Source     string          `json:"source"`
				Account    string          `json:"account"`
				Time       string          `json:"time"`
				Region     string          `json:"region"`
				Resources  []string        `json:"resources"`
				Detail     json.RawMessage `json:"detail"`
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&env); err != nil {
				t.Fatalf("sample envelope: %v", err)
			}
			if env.DetailType != typ.DetailType || env.Source != typ.Source {
				t.Errorf("sample is %s from %s, want %s from %s", env.DetailType, env.Source, typ.DetailType, typ.Source)
			}
			if err := Validate(Schema(typ), env.Detail); err != nil {
				t.Errorf("sample detail fails its schema: %v", err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	s := Schema(Catalog[0])
	for name, doc := range map[string]string{
		"a missing field":  `{"run":"r"}`,
		"an unknown field": `{"run":"r","at":"2026-01-01T00:00:00Z","x":1}`,
		"a wrong type":     `{"run":1,"at":"2026-01-01T00:00:00Z"}`,
		"a bad date":       `{"run":"r","at":"yesterday"}`,
		"not an object":    `[]`,
	} {
		t.Run("it refuses "+name, func(t *testing.T) {
			if err := Validate(s, []byte(doc)); err == nil {
				t.Errorf("Validate(%s) passed", doc)
			}
		})
	}
}
