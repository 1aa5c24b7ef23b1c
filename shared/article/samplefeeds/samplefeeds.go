// Package samplefeeds serves the sample news make dev shows: RSS, Atom, RDF
// and JSON feeds (under samples/, one of them broken on purpose) rendered
// with dates relative to a start time, so a fresh start shows fresh news, and
// the sources that point at them (samples/sources.json). The local cloud
// serves them at /_local/samples/; the article tests ingest the same news.
package samplefeeds

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"text/template"
	"time"
)

//go:embed samples
var files embed.FS

// Source is one entry of samples/sources.json: a sample feed.
type Source struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Weight   float64 `json:"weight"`
	File     string  `json:"file"`
}

// Feeds is the sample feeds rendered once; each answers 304 to its own ETag.
// It serves the file named by the route's {file} wildcard.
type Feeds struct {
	body map[string][]byte
	etag map[string]string
}

// New renders the sample feeds with dates relative to start.
func New(start time.Time) (*Feeds, error) {
	funcs := template.FuncMap{
		"rfc822":  func(ago string) (string, error) { t, err := before(start, ago); return t.Format(time.RFC1123Z), err },
		"rfc3339": func(ago string) (string, error) { t, err := before(start, ago); return t.Format(time.RFC3339), err },
	}
	s := &Feeds{body: map[string][]byte{}, etag: map[string]string{}}
	entries, err := fs.ReadDir(files, "samples")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		raw, err := files.ReadFile("samples/" + e.Name())
		if err != nil {
			return nil, err
		}
		t, err := template.New(e.Name()).Funcs(funcs).Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", e.Name(), err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, nil); err != nil {
			return nil, fmt.Errorf("sample %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b.Bytes())
		s.body[e.Name()], s.etag[e.Name()] = b.Bytes(), `"`+hex.EncodeToString(sum[:8])+`"`
	}
	return s, nil
}

func before(t time.Time, ago string) (time.Time, error) {
	d, err := time.ParseDuration(ago)
	return t.Add(-d).UTC(), err
}

func (s *Feeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.PathValue("file"))
	body, ok := s.body[name]
	if !ok || name == "sources.json" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", s.etag[name])
	if r.Header.Get("If-None-Match") == s.etag[name] {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".atom":
		ct = "application/atom+xml"
	case ".rdf", ".xml":
		ct = "application/xml"
	case ".json":
		ct = "application/feed+json"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(body)
}

// Server returns the sample-feed server (serving /{file}) with dates
// relative to start, and the sources that point at it, for tests that ingest
// the same news `make dev` shows.
func Server(start time.Time) (http.Handler, []Source, error) {
	s, err := New(start)
	if err != nil {
		return nil, nil, err
	}
	sources, err := Sources()
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{file}", s)
	return mux, sources, nil
}

// Sources lists the sample sources.
func Sources() ([]Source, error) {
	raw, err := files.ReadFile("samples/sources.json")
	if err != nil {
		return nil, err
	}
	var sources []Source
	if err := json.Unmarshal(raw, &sources); err != nil {
		return nil, fmt.Errorf("samples/sources.json: %w", err)
	}
	return sources, nil
}
