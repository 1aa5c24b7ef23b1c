package article

import "testing"

func TestCanonicalize(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"it lower-cases the scheme and host", "HTTPS://News.Example.COM/Path", "https://news.example.com/Path"},
		{"it drops the fragment", "https://a.example/x#comments", "https://a.example/x"},
		{"it drops utm parameters", "https://a.example/x?utm_source=rss&utm_medium=feed&id=7", "https://a.example/x?id=7"},
		{"it drops click ids", "https://a.example/x?fbclid=1&gclid=2&msclkid=3", "https://a.example/x"},
		{"it sorts the query", "https://a.example/x?b=2&a=1&a=0", "https://a.example/x?a=0&a=1&b=2"},
		{"it drops the default https port", "https://a.example:443/x", "https://a.example/x"},
		{"it drops the default http port", "http://a.example:80/x", "http://a.example/x"},
		{"it keeps another port", "https://a.example:8443/x", "https://a.example:8443/x"},
		{"it gives an empty path a slash", "https://a.example", "https://a.example/"},
		{"it drops user info", "https://user:pw@a.example/x", "https://a.example/x"},
		{"it drops a trailing dot on the host", "https://a.example./x", "https://a.example/x"},
		{"it keeps the path's case", "https://a.example/Story/ABC", "https://a.example/Story/ABC"},
		{"it trims spaces", "  https://a.example/x  ", "https://a.example/x"},
		{"an IPv6 host keeps its brackets", "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"},
		{"an empty query mark goes", "https://a.example/x?", "https://a.example/x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Canonicalize(c.in)
			if err != nil || got != c.want {
				t.Errorf("Canonicalize(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			again, _ := Canonicalize(got)
			if again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
	for _, bad := range []string{"", "ftp://a.example/x", "javascript:alert(1)", "/relative/path", "https://", "mailto:x@a.example", "http://%zz"} {
		t.Run("it refuses "+bad, func(t *testing.T) {
			if got, err := Canonicalize(bad); err == nil {
				t.Errorf("Canonicalize(%q) = %q, want an error", bad, got)
			}
		})
	}
}

func TestTheSameArticleGetsTheSameID(t *testing.T) {
	a, _ := Canonicalize("https://WorldWire.example.org:443/port-strike-ends?utm_campaign=partner#top")
	b, _ := Canonicalize("https://worldwire.example.org/port-strike-ends")
	if IDFor(a) != IDFor(b) || !ValidID(IDFor(a)) {
		t.Errorf("ids differ: %s %s", IDFor(a), IDFor(b))
	}
}
