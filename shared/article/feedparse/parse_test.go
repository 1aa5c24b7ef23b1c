package feedparse

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

func TestHubLinksInTheDocument(t *testing.T) {
	atom := `<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://hub.example/"/><link rel="self" href="https://a.example/atom"/><entry><link rel="hub" href="https://late.example/"/></entry></feed>`
	if hub, self := discoverHub([]byte(atom)); hub != "https://hub.example/" || self != "https://a.example/atom" {
		t.Errorf("Atom: %q %q", hub, self)
	}
	late := `<rss><channel><item><atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="hub" href="https://late.example/"/></item></channel></rss>`
	if hub, _ := discoverHub([]byte(late)); hub != "" {
		t.Errorf("a hub link inside an item is not the feed's: %q", hub)
	}
}

func TestHostileDocumentsAreClassifiedNotFailed(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name, code string
		body       []byte
	}{
		{"an HTML page is not a feed", feeddoc.NotAFeed, []byte("<!doctype html><html><body>hello</body></html>")},
		{"plain text is not a feed", feeddoc.NotAFeed, []byte("not a feed")},
		{"an empty body is not a feed", feeddoc.NotAFeed, nil},
		{"binary garbage is not a feed", feeddoc.NotAFeed, []byte{0xff, 0xfe, 0x00, 0x01, '<', 0x80}},
		{"a document over MaxBody is too large", feeddoc.TooLarge, []byte(rss(strings.Repeat("x", feeddoc.MaxBody)))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Parse(feeddoc.Request{URL: "https://a.example/feed", Body: c.body, Now: now})
			if res.Error == nil || res.Error.Code != c.code || len(res.Items) != 0 || len(res.Error.Message) > feeddoc.MaxMessage {
				t.Errorf("Parse = %+v; want no items and error code %q", res, c.code)
			}
		})
	}
	t.Run("a document of exactly MaxBody is parsed", func(t *testing.T) {
		doc := rss(`<item><title>t</title><link>https://a.example/1</link></item>`)
		doc = strings.Replace(doc, "<channel>", "<channel><description>"+strings.Repeat("x", feeddoc.MaxBody-len(doc)-len("<description></description>"))+"</description>", 1)
		if len(doc) != feeddoc.MaxBody {
			t.Fatalf("built %d bytes", len(doc))
		}
		if res := Parse(feeddoc.Request{Body: []byte(doc), Now: now}); res.Error != nil || len(res.Items) != 1 {
			t.Errorf("Parse = %d items, %v", len(res.Items), res.Error)
		}
	})
}

// A feed whose XML declaration names a legacy Japanese charset decodes to the
// same titles as its UTF-8 original: the charset tables are why gofeed is
// heavy, and parse-feed is where they live now.
func TestAFeedInShiftJISOrEUCJPIsParsedRight(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const title, summary = "東京で新しい駅が開業", "<p>利用者は初日に１万人を超えた</p>"
	for _, c := range []struct {
		charset string
		enc     encoding.Encoding
	}{{"Shift_JIS", japanese.ShiftJIS}, {"EUC-JP", japanese.EUCJP}} {
		t.Run(c.charset, func(t *testing.T) {
			doc := `<?xml version="1.0" encoding="` + c.charset + `"?>` + rss(`<item><title>`+title+`</title><link>https://news.example.jp/a</link><description><![CDATA[`+summary+`]]></description></item>`)
			body, err := c.enc.NewEncoder().Bytes([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(body, []byte(title)) {
				t.Fatal("the encoded document still holds the UTF-8 title")
			}
			res := Parse(feeddoc.Request{URL: "https://news.example.jp/rss", ContentType: "application/rss+xml; charset=" + c.charset, Body: body, Now: now})
			if res.Error != nil || len(res.Items) != 1 {
				t.Fatalf("Parse = %+v", res)
			}
			if it := res.Items[0]; it.Title != title || it.Summary != "利用者は初日に１万人を超えた" || it.URL != "https://news.example.jp/a" {
				t.Errorf("item = %+v; want the title and summary decoded from %s", it, c.charset)
			}
		})
	}
}

// Real feeds declare charsets by names the WHATWG table does not list —
// Python's "euc_jp", Microsoft's "cp932" — which gofeed refused as "failed to
// detect feed type": a known alias is read as the encoding it names; a label
// nobody knows is refused by name.
func TestACharsetDeclaredByACommonAliasIsRead(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const title = "東京で桜が満開に"
	for _, c := range []struct {
		label string
		enc   encoding.Encoding
	}{{"cp932", japanese.ShiftJIS}, {"CP932", japanese.ShiftJIS}, {"windows-932", japanese.ShiftJIS}, {"euc_jp", japanese.EUCJP},
		{"eucJP", japanese.EUCJP}, {"iso2022_jp", japanese.ISO2022JP}, {"ISO-2022-JP", japanese.ISO2022JP}, {"euc_kr", korean.EUCKR}, {"cp936", simplifiedchinese.GBK}} {
		t.Run(c.label, func(t *testing.T) {
			text := title
			if c.enc == korean.EUCKR {
				text = "서울에 첫눈"
			} else if c.enc == simplifiedchinese.GBK {
				text = "北京迎来初雪"
			}
			doc := `<?xml version="1.0" encoding='` + c.label + `' ?>` + rss(`<item><title>`+text+`</title><link>https://news.example/a</link></item>`)
			body, err := c.enc.NewEncoder().Bytes([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			res := Parse(feeddoc.Request{URL: "https://news.example/rss", Body: body, Now: now})
			if res.Error != nil || len(res.Items) != 1 || res.Items[0].Title != text {
				t.Errorf("Parse = %+v, %v; want the title decoded from %s", res.Items, res.Error, c.label)
			}
		})
	}
	t.Run("an unknown label is refused by name", func(t *testing.T) {
		doc := `<?xml version="1.0" encoding="x-klingon"?>` + rss(`<item><title>caf`+"\xe9"+`</title><link>https://news.example/k</link></item>`)
		res := Parse(feeddoc.Request{URL: "https://news.example/rss", Body: []byte(doc), Now: now})
		if res.Error == nil || res.Error.Code != feeddoc.NotAFeed || res.Error.Message != `unsupported character encoding "x-klingon"` {
			t.Errorf("Parse = %+v; want not_a_feed: unsupported character encoding \"x-klingon\"", res)
		}
	})
	t.Run("only the declaration's label is rewritten, and what follows decoded", func(t *testing.T) {
		doc := []byte("\xEF\xBB\xBF <?xml version=\"1.0\" encoding = \"euc_jp\"?><rss><channel><title>encoding=\"euc_jp\"</title></channel></rss>")
		got, err := declaredCharset(doc)
		// Decoded as EUC-JP after the declaration, and declared UTF-8.
		want := "\xEF\xBB\xBF <?xml version=\"1.0\" encoding = \"utf-8\"?><rss><channel><title>encoding=\"euc_jp\"</title></channel></rss>"
		if err != nil || string(got) != want {
			t.Errorf("declaredCharset = %q, %v; want %q", got, err, want)
		}
		for _, doc := range []string{`<rss><channel><title>encoding="x-klingon"</title></channel></rss>`, `{"version":"https://jsonfeed.org/version/1.1"}`, `<?xml version="1.0"?><rss/>`} {
			if got, err := declaredCharset([]byte(doc)); err != nil || string(got) != doc {
				t.Errorf("declaredCharset(%q) = %q, %v; want it untouched", doc, got, err)
			}
		}
	})
	t.Run("every alias names an encoding the parser reads and shadows none", func(t *testing.T) {
		for alias, label := range charsetAliases {
			if e, _ := charset.Lookup(alias); e != nil {
				t.Errorf("%q is already a label the parser knows", alias)
			}
			if e, _ := charset.Lookup(label); e == nil {
				t.Errorf("%q → %q, which the parser does not know", alias, label)
			}
		}
	})
}

func rss(items string) string {
	return `<rss version="2.0"><channel><title>f</title>` + items + `</channel></rss>`
}

// The largest result the caps admit — MaxItems items with every field at its
// cap (URLs at MaxURL bytes, title and summary at their caps in characters),
// every character one JSON escapes six bytes wide (the widest: "<" is
// \u003c), WebSub links at MaxURL — is within Lambda's response payload, so
// parse-feed need not measure its answers. A WebSub link longer than MaxURL
// is no link: without that, a 64 KiB head could hold two links of nearly
// 64 KiB each.
func TestTheLargestResultFitsLambdasResponse(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	wide := func(n int) string { return strings.Repeat("<", n) }
	res := feeddoc.Result{Bad: feeddoc.MaxItems * 1000, Ignored: feeddoc.MaxItems * 1000, Hub: wide(feeddoc.MaxURL), Self: wide(feeddoc.MaxURL)}
	for i := range feeddoc.MaxItems {
		res.Items = append(res.Items, feeddoc.Item{URL: wide(feeddoc.MaxURL), Title: wide(feeddoc.MaxTitle), Summary: wide(feeddoc.MaxSummary),
			ImageURL: wide(feeddoc.MaxURL), Language: strings.Repeat("x", 16), PublishedAt: now.Add(time.Duration(i) * time.Minute)})
	}
	out, err := json.Marshal(res)
	if err != nil || len(out) > contract.MaxSyncPayload {
		t.Errorf("the largest result is %d bytes (%v), over Lambda's %d", len(out), err, contract.MaxSyncPayload)
	}
	t.Logf("largest result %d bytes (Lambda: %d)", len(out), contract.MaxSyncPayload)

	href := "https://hub.example/" + strings.Repeat("a", feeddoc.MaxURL)
	head := `<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="` + href + `"/><link rel="self" href="` + href + `"/></feed>`
	if hub, self := discoverHub([]byte(head)); hub != "" || self != "" {
		t.Errorf("WebSub links of %d bytes, over %d, were kept (%d, %d bytes)", len(href), feeddoc.MaxURL, len(hub), len(self))
	}
	at := href[:feeddoc.MaxURL]
	if hub, _ := discoverHub([]byte(strings.ReplaceAll(head, href, at))); hub != at {
		t.Errorf("a hub link of %d bytes, the cap, was dropped", len(at))
	}
}

// ISO-2022-JP switches to kanji with ESC $ B, and its kanji bytes include
// '<', '?' and '>': "<?" in the raw bytes is one character to the parser,
// but the shape pass, reading the raw bytes, took it for a processing
// instruction and skipped to the next "?>" — past a 1 MB xml:base over 700
// links, which took parse-feed to 1.2 GB. The pass reads the decoded
// document, as gofeed does.
func TestAnISO2022JPDocumentCannotHideItsShape(t *testing.T) {
	const esc = "\x1b"
	head := `<?xml version="1.0" encoding="iso-2022-jp"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:j</id><updated>2026-12-01T17:00:00Z</updated>`
	hide := `<entry><title>` + esc + `$B<?` + esc + `(B</title><id>urn:j:0</id><link href="https://j.example/0"/><updated>2026-12-01T17:00:00Z</updated></entry>`
	bomb := `<entry xml:base="https://j.example/` + strings.Repeat("a", 1<<20) + `"><title>b</title><id>urn:j:1</id><updated>2026-12-01T17:00:00Z</updated>` +
		strings.Repeat(`<link rel="related" href="x"/>`, 700) + `</entry>`
	tail := `<entry><title>end ?></title><id>urn:j:2</id><link href="https://j.example/2"/><updated>2026-12-01T17:00:00Z</updated></entry></feed>`
	res := Parse(feeddoc.Request{Body: []byte(head + hide + bomb + tail), Now: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)})
	if res.Error == nil || res.Error.Code != feeddoc.TooComplex || !strings.Contains(res.Error.Error(), "xml:base") {
		t.Fatalf("an xml:base of 1 MB behind a kanji \"<?\": %d items, error %v; want too_complex (xml:base)", len(res.Items), res.Error)
	}
	// The same kanji in a document within the bounds parses, title decoded.
	res = Parse(feeddoc.Request{Body: []byte(head + hide + tail), Now: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)})
	if res.Error != nil || len(res.Items) != 2 {
		t.Fatalf("the same document without the base: %d items, %v; want 2", len(res.Items), res.Error)
	}
}

// In GBK (Big5, Shift_JIS, GB18030 alike) a lead byte and ']' are one
// character: "\x81]]>" ended a CDATA section for a pass over the raw bytes
// but not for the XML decoder, and the "<!--" that followed made the pass
// skip, as a comment, markup the decoder read — 380,000 nested elements,
// 564 MiB. The pass reads the decoded document.
func TestAMultiByteEncodingCannotHideMarkupFromTheShapePass(t *testing.T) {
	for _, enc := range []string{"gbk", "big5", "shift_jis", "gb18030"} {
		t.Run(enc, func(t *testing.T) {
			doc := `<?xml version="1.0" encoding="` + enc + `"?><rss version="2.0" xmlns:x="http://x/"><channel><title>t</title><link>http://a/</link>` +
				"<item><title>hello</title><link>http://a/1</link><description><![CDATA[abc\x81]]> <!-- ]]></description>" +
				strings.Repeat("<x:a>", MaxDepth+1) + strings.Repeat("</x:a>", MaxDepth+1) + `<category>--></category></item></channel></rss>`
			res := Parse(feeddoc.Request{Body: []byte(doc), Now: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)})
			if res.Error == nil || res.Error.Code != feeddoc.TooComplex {
				t.Fatalf("%d elements nested behind \"\\x81]]>\": %d items, %v; want too_complex", MaxDepth+1, len(res.Items), res.Error)
			}
		})
	}
}

// The XML decoder gofeed reads with switches encoding at any "<?xml …
// encoding=…?>" it meets, taking the first "encoding=" followed by a quote:
// a declaration declaredCharset did not decode — a second one, one after a
// comment, a NUL or two byte-order marks, one past 1,024 bytes, one whose
// first "encoding" is a look-alike — had gofeed read GBK where the pass read
// UTF-8, and "\x81]]>" hid 370,000 nested elements again (found from
// outside: 562 MiB). Such a document is refused; the usual declarations
// still parse.
func TestNoDeclarationSwitchesGofeedToAnEncodingThePassDidNotRead(t *testing.T) {
	hidden := `<rss version="2.0" xmlns:x="http://x/"><channel><title>t</title><link>http://a/</link><item><title>hello</title><link>http://a/1</link>` +
		"<description><![CDATA[abc\x81]]> <!-- ]]></description>" + strings.Repeat("<x:a>", MaxDepth+1) + strings.Repeat("</x:a>", MaxDepth+1) +
		`<category>--></category></item></channel></rss>`
	now := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	for name, prefix := range map[string]string{
		"a second declaration":             `<?xml version="1.0" encoding="utf-8"?><?xml version="1.0" encoding="gbk"?>`,
		"a NUL before the declaration":     "\x00" + `<?xml version="1.0" encoding="gbk"?>`,
		"a comment before the declaration": `<!--c--><?xml version="1.0" encoding="gbk"?>`,
		"a PI before the declaration":      `<?foo bar?><?xml version="1.0" encoding="gbk"?>`,
		"two byte-order marks":             "\xEF\xBB\xBF\xEF\xBB\xBF" + `<?xml version="1.0" encoding="gbk"?>`,
		"a declaration over 1,024 bytes":   `<?xml version="1.0"` + strings.Repeat(" ", 1100) + `encoding="gbk"?>`,
		"a look-alike attribute first":     `<?xml version="1.0" encoding-x="1" encoding="gbk"?>`,
		"an unquoted look-alike first":     `<?xml version="1.0" encoding=utf-8 encoding="gbk"?>`,
		"a control byte in the name":       "<?xml version=\"1.0\" enc\x01oding=\"gbk\"?>",
	} {
		t.Run(name, func(t *testing.T) {
			res := Parse(feeddoc.Request{Body: []byte(prefix + hidden), Now: now})
			if res.Error == nil || len(res.Items) != 0 {
				t.Fatalf("%d items, %v; want the document refused", len(res.Items), res.Error)
			}
		})
	}
	ok := `<rss version="2.0"><channel><title>t</title><item><title>hello</title><link>http://a/1</link></item></channel></rss>`
	for _, decl := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding=" utf-8"?>`, `<?xml version="1.0" encoding="UTF-8 "?>`,
		`<?xml version="1.0" encoding="utf8"?>`, `<?xml version='1.0' encoding='GBK'?>`,
		`<?xml version="1.0" encoding = "windows-1252"?>`, `<?xml version="1.0"?><?xml-stylesheet href="s.xsl" type="text/xsl"?>`} {
		if res := Parse(feeddoc.Request{Body: []byte(decl + ok), Now: now}); res.Error != nil || len(res.Items) != 1 {
			t.Errorf("%s: %d items, %v; want the item", decl, len(res.Items), res.Error)
		}
	}
}
