package article

import (
	"context"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

var privateSourceURLs = []string{
	"http://169.254.169.254/latest/meta-data/",
	"http://[fd00:ec2::254]/latest/meta-data/",
	"http://127.0.0.1/", "http://127.1/", "http://localhost:8080/feed", "http://feeds.localhost/",
	"http://10.0.0.1/feed", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/",
	"http://[::1]/", "http://[::]/", "http://0.0.0.0/", "http://[fe80::1%25eth0]/", "http://[fc00::1]/",
	"http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/", "http://[::ffff:a00:1]/",
	"http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://0x7f000001/", "http://0251.0376.0251.0376/",
	"http://0xA9FEA9FE/", "http://017700000001/", "http://127.0.0.1.:80/", "HTTP://LOCALHOST/",
}

func TestSourceURLsNamingPrivateAddressesAreFieldErrors(t *testing.T) {
	ctx := context.Background()
	s := &Service{Store: newMemory(t)}
	w := 1.0
	if _, err := s.CreateSource(ctx, SourceInput{ID: "good", URL: "https://a.example/feed", Name: "Good", Category: "tech", Weight: &w}); err != nil {
		t.Fatal(err)
	}
	for _, u := range privateSourceURLs {
		in := SourceInput{ID: "private", URL: u, Name: "P", Category: "tech", Weight: &w}
		_, err := s.CreateSource(ctx, in)
		if kiosk.ErrorCode(err) != kiosk.EINVALID || len(kiosk.Details(err)) != 1 || !strings.HasPrefix(kiosk.Details(err)[0], "url must not point at") {
			t.Errorf("create with %s: %v, want one field error on url", u, err)
		}
		in.ID = ""
		if _, err := s.UpdateSource(ctx, "good", in); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("update to %s: %v, want invalid", u, err)
		}
	}
	if _, err := s.CreateSource(ctx, SourceInput{ID: "odd", URL: "http://134744072/", Name: "P", Category: "tech", Weight: &w}); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("a public address written as one decimal number: %v, want invalid", err)
	}
	list, _ := s.ListSources(ctx)
	if len(list) != 1 || list[0].URL != "https://a.example/feed" {
		t.Errorf("refused URLs were stored: %+v", list)
	}
	for _, u := range []string{"https://8.8.8.8/feed", "https://[2001:4860:4860::8888]/", "https://news.example/feed", "https://127.0.0.1.example/"} {
		if _, err := s.UpdateSource(ctx, "good", SourceInput{URL: u, Name: "Good", Category: "tech", Weight: &w}); err != nil {
			t.Errorf("a public URL %s: %v", u, err)
		}
	}
}

func TestTheFetchAllowListAdmitsItsHostAndPortOnly(t *testing.T) {
	ctx := context.Background()
	s := &Service{Store: newMemory(t), FetchAllow: ParseAllow("127.0.0.1:3000, localhost:8080")}
	w := 1.0
	for u, ok := range map[string]bool{
		"http://127.0.0.1:3000/_local/samples/a.xml": true,
		"http://LOCALHOST:8080/feed":                 true,
		"http://127.0.0.1:3001/":                     false,
		"http://127.0.0.1/":                          false,
		"http://2130706433:3000/":                    false,
		"http://169.254.169.254:3000/":               false,
	} {
		_, err := s.CreateSource(ctx, SourceInput{ID: "s" + IDFor(u)[:8], URL: u, Name: "S", Category: "tech", Weight: &w})
		if (err == nil) != ok {
			t.Errorf("%s with the allow list: %v, want allowed=%v", u, err, ok)
		}
	}
}

func TestLooseIPv4FormsReadAsInetAtonDoes(t *testing.T) {
	for in, want := range map[string]string{"2130706433": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "0x7f.1": "127.0.0.1",
		"127.1": "127.0.0.1", "10.1.2": "10.1.0.2", "0xa9fea9fe": "169.254.169.254", "0x": "0.0.0.0", "1.2.3.4": "1.2.3.4"} {
		if got, ok := looseIPv4(in); !ok || got.String() != want {
			t.Errorf("%s: %v %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "news", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "4294967296", "08", "1..2", "0x1g", "1.2.3.4x"} {
		if got, ok := looseIPv4(in); ok {
			t.Errorf("%q read as %v", in, got)
		}
	}
}
