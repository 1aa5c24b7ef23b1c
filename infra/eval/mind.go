package eval

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MIND's files (Wu et al., "MIND: A Large-scale Dataset for News
// Recommendation", ACL 2020; msnews.github.io):
//
//	news.tsv       NewsID Category SubCategory Title Abstract URL TitleEntities AbstractEntities
//	behaviors.tsv  ImpressionID UserID Time History Impressions
//
// Time is "11/15/2019 8:55:22 AM", History space-separated news ids,
// Impressions space-separated "N1234-1" (clicked) or "N1234-0".
//
// MIND has no publication times, sources or story clusters. The simulator
// writes them to a third file, news_meta.tsv (NewsID PublishedAt SourceID
// SourceWeight Story), which ReadMIND reads when it is there; without it an
// article's publication time is the first impression that shows it, and
// every article is its own source and story.

const mindTime = "1/2/2006 3:04:05 PM"

// WriteMIND writes ds as news.tsv, behaviors.tsv and news_meta.tsv in dir.
func WriteMIND(dir string, ds *Dataset) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ids := make([]string, 0, len(ds.News))
	for id := range ds.News {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ds.News[ids[i]].PublishedAt.Before(ds.News[ids[j]].PublishedAt) })
	var news, meta strings.Builder
	for _, id := range ids {
		a := ds.News[id]
		fmt.Fprintf(&news, "%s\t%s\t%s\t%s\t\t%s\t[]\t[]\n", a.ID, a.Category, a.SubCategory, a.Title, a.URL)
		fmt.Fprintf(&meta, "%s\t%s\t%s\t%g\t%s\n", a.ID, a.PublishedAt.UTC().Format(time.RFC3339), a.SourceID, a.SourceWeight, a.Story)
	}
	f, err := os.Create(filepath.Join(dir, "behaviors.tsv"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, imp := range ds.Impressions {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t", imp.ID, imp.User, imp.Time.UTC().Format(mindTime), strings.Join(imp.History, " "))
		for i, id := range imp.Shown {
			if i > 0 {
				w.WriteByte(' ')
			}
			label := "0"
			if imp.Clicked[i] {
				label = "1"
			}
			w.WriteString(id + "-" + label)
		}
		w.WriteByte('\n')
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "news.tsv"), []byte(news.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "news_meta.tsv"), []byte(meta.String()), 0o644)
}

// ReadMIND reads a MIND folder (MINDsmall_dev, MINDlarge_dev, or one the
// simulator wrote). Every impression is scored, each with the signals of
// the hours before it (MIND's dev set is one day; a ranker learns as it
// goes). Impressions without labels (MIND's test set) are an error.
func ReadMIND(dir string) (*Dataset, error) {
	ds := &Dataset{Name: "MIND: " + filepath.Base(filepath.Clean(dir)), News: map[string]*Article{}}
	err := eachLine(filepath.Join(dir, "news.tsv"), func(n int, f []string) error {
		if len(f) < 4 {
			return fmt.Errorf("want at least 4 tab-separated fields, got %d", len(f))
		}
		a := &Article{ID: f[0], Category: f[1], SubCategory: f[2], Title: f[3], SourceID: f[0], SourceWeight: 1, Story: f[0]}
		if len(f) > 5 {
			a.URL = f[5]
		}
		ds.News[a.ID] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	hasMeta := false
	if _, err := os.Stat(filepath.Join(dir, "news_meta.tsv")); err == nil {
		hasMeta = true
		ds.SimulatorFiles = true
		ds.Name = "synthetic log in MIND's format: " + filepath.Base(filepath.Clean(dir))
		err := eachLine(filepath.Join(dir, "news_meta.tsv"), func(n int, f []string) error {
			if len(f) != 5 {
				return fmt.Errorf("want 5 tab-separated fields, got %d", len(f))
			}
			a := ds.News[f[0]]
			if a == nil {
				return fmt.Errorf("news %q is not in news.tsv", f[0])
			}
			t, err := time.Parse(time.RFC3339, f[1])
			if err != nil {
				return err
			}
			w, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				return err
			}
			a.PublishedAt, a.SourceID, a.SourceWeight, a.Story = t, f[2], w, f[4]
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err = eachLine(filepath.Join(dir, "behaviors.tsv"), func(n int, f []string) error {
		if len(f) != 5 {
			return fmt.Errorf("want 5 tab-separated fields, got %d", len(f))
		}
		t, err := time.Parse(mindTime, f[2])
		if err != nil {
			return err
		}
		imp := Impression{ID: f[0], User: f[1], Time: t, History: strings.Fields(f[3])}
		for _, c := range strings.Fields(f[4]) {
			id, label, ok := strings.Cut(c, "-")
			if !ok || (label != "0" && label != "1") {
				return fmt.Errorf("impression %q: candidate %q has no 0/1 label (MIND's test set has none: use a dev set)", f[0], c)
			}
			imp.Shown = append(imp.Shown, id)
			imp.Clicked = append(imp.Clicked, label == "1")
		}
		ds.Impressions = append(ds.Impressions, imp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ds.Impressions) == 0 {
		return nil, fmt.Errorf("%s: no impressions", filepath.Join(dir, "behaviors.tsv"))
	}
	ds.sortImpressions()
	if !hasMeta {
		for _, imp := range ds.Impressions {
			for _, id := range imp.Shown {
				if a := ds.News[id]; a != nil && a.PublishedAt.IsZero() {
					a.PublishedAt = imp.Time
				}
			}
		}
	}
	ds.TestFrom = ds.Impressions[0].Time
	return ds, nil
}

// eachLine calls fn with each line's tab-separated fields; an error names
// the file and line.
func eachLine(path string, fn func(n int, fields []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			if ferr := fn(n, strings.Split(line, "\t")); ferr != nil {
				return fmt.Errorf("%s:%d: %w", path, n, ferr)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
