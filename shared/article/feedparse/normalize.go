package feedparse

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
)

// FromItem turns a feed item into an item for the article store, fetched at
// now: a canonical link, plain text within the caps, a date clamped to now.
// It fails for an item with no usable link or title.
func FromItem(it *gofeed.Item, feedLang string, now time.Time) (feeddoc.Item, error) {
	link := it.Link
	if link == "" && len(it.Links) > 0 {
		link = it.Links[0]
	}
	if link == "" && it.GUID != "" && (strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://")) {
		link = it.GUID
	}
	if len(link) > feeddoc.MaxURL {
		return feeddoc.Item{}, fmt.Errorf("item link is longer than %d bytes", feeddoc.MaxURL)
	}
	canon, err := canonicalURL(link)
	if err != nil {
		return feeddoc.Item{}, fmt.Errorf("item link: %v", err)
	}
	title := clip(PlainText(it.Title), feeddoc.MaxTitle)
	if title == "" {
		return feeddoc.Item{}, fmt.Errorf("item %s has no title", canon)
	}
	summary := it.Description
	if summary == "" {
		summary = it.Content
	}
	now = now.UTC()
	published := now
	switch {
	case it.PublishedParsed != nil:
		published = it.PublishedParsed.UTC()
	case it.UpdatedParsed != nil:
		published = it.UpdatedParsed.UTC()
	}
	if published.After(now) || published.Year() < 1990 {
		published = now // future (or absurd) dates are clamped to the fetch time
	}
	lang := it.Extensions["dc"]["language"]
	language := feedLang
	if len(lang) > 0 && lang[0].Value != "" {
		language = lang[0].Value
	}
	return feeddoc.Item{
		URL:         canon,
		Title:       title,
		Summary:     clip(PlainText(summary), feeddoc.MaxSummary),
		ImageURL:    imageOf(it),
		Language:    normalizeLang(language),
		PublishedAt: published.Truncate(time.Second),
	}, nil
}

// PlainText strips HTML tags, decodes entities, drops scripts and styles, and
// collapses whitespace: what is left is safe to show as text anywhere.
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return collapse(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapse(b.String())
		case html.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "iframe", "noscript", "template":
				skip++
			case "br", "p", "div", "li", "h1", "h2", "h3", "h4":
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "iframe", "noscript", "template":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li":
				b.WriteByte(' ')
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}

// collapse drops control characters, invalid UTF-8 and the invisible format
// characters (feeddoc.Invisible: bidi overrides and marks, zero-width space,
// BOM), which would let a feed reverse or hide part of a title in every feed
// and notification it reaches, and collapses whitespace. A ZWNJ or ZWJ stays
// only where it can carry meaning (joins).
func collapse(s string) string {
	var b strings.Builder
	space := false
	var last rune // the last rune written, 0 at the start or after a space
	for i, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && !unicode.IsSpace(r)) || feeddoc.Invisible(r) {
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if r == zwnj || r == zwj {
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if space || !joins(last) || !joins(next) {
				continue
			}
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

const (
	zwnj = '\u200C' // zero-width non-joiner
	zwj  = '\u200D' // zero-width joiner
)

// joins reports whether a ZWNJ or ZWJ next to r may carry meaning, so that
// one between two such runes is kept: letters and marks of the scripts that
// use them (ZWNJ inside a Persian word, "mi" U+200C "khaham"; ZWJ for an
// Indic half form: consonant, virama, ZWJ, consonant) and symbols (an emoji
// sequence such as woman, ZWJ, laptop, where a skin tone (Sk) or U+FE0F (a
// mark) may precede the ZWJ). Next to a space, punctuation, an ASCII
// character or a Latin, Greek or Cyrillic letter it changes nothing a reader
// could want and only hides a difference ("Ap" U+200D "ple"), so it goes.
func joins(r rune) bool {
	if r < 0x80 || unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic) {
		return false
	}
	return unicode.In(r, unicode.L, unicode.M, unicode.So, unicode.Sk)
}

// clip shortens s to at most n runes, on a word boundary when one is near,
// marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)*3/4 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

func imageOf(it *gofeed.Item) string {
	candidates := []string{}
	if it.Image != nil {
		candidates = append(candidates, it.Image.URL)
	}
	for _, e := range it.Enclosures {
		if strings.HasPrefix(e.Type, "image/") {
			candidates = append(candidates, e.URL)
		}
	}
	for _, m := range it.Extensions["media"]["thumbnail"] {
		candidates = append(candidates, m.Attrs["url"])
	}
	for _, m := range it.Extensions["media"]["content"] {
		if strings.HasPrefix(m.Attrs["type"], "image/") || m.Attrs["medium"] == "image" {
			candidates = append(candidates, m.Attrs["url"])
		}
	}
	for _, c := range candidates {
		if len(c) > feeddoc.MaxURL {
			continue
		}
		if u, err := canonicalURL(c); err == nil {
			return u
		}
	}
	return ""
}

// canonicalURL is feeddoc.Canonicalize within feeddoc.MaxURL. The cap holds
// for what is stored, the canonical form, which may be longer than the link
// as written: canonicalising escapes the query, so "?x=" and 1,000 "é" (2,025
// bytes) become 6,025. A link is also refused before, when it is already
// longer than the cap as written (nothing long is canonicalised for nothing).
func canonicalURL(raw string) (string, error) {
	u, err := feeddoc.Canonicalize(raw)
	if err != nil {
		return "", err
	}
	if len(u) > feeddoc.MaxURL {
		return "", fmt.Errorf("URL is longer than %d bytes once canonical (%d)", feeddoc.MaxURL, len(u))
	}
	return u, nil
}

func normalizeLang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if len(l) > 16 {
		return ""
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z') && r != '-' && r != '_' {
			return ""
		}
	}
	return l
}
