package form

import (
	"net/url"
	"testing"
)

type source struct {
	Name   string   `json:"name" label:"Name"`
	Weight *float64 `json:"weight" label:"Weight"`
}

func TestAFieldGivenTwiceIsRefusedNotGuessed(t *testing.T) {
	var in source
	errs := Decode(url.Values{"name": {"a", "b"}, "weight": {"2"}}, &in)
	if errs["name"] == "" || in.Name != "" {
		t.Errorf("name twice: errs %v, name %q", errs, in.Name)
	}
	if in.Weight == nil || *in.Weight != 2 {
		t.Errorf("weight once: %v", in.Weight)
	}
}

func TestFieldNamesMatchExactly(t *testing.T) {
	var in source
	if errs := Decode(url.Values{"Name": {"a"}, "NAME": {"b"}}, &in); len(errs) != 0 || in.Name != "" {
		t.Errorf("errs %v, name %q", errs, in.Name)
	}
}
