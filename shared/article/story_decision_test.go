package article

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"
)

// generatedTitle is infra/local's generated load feed's title of story i of
// feed name (generatedFeed in infra/local/samples.go, which package article
// cannot import): three words of sixteen, "reopens after N years", and a hex
// code. Every title is another story.
func generatedTitle(name string, i int) string {
	words := []string{"harbour", "council", "festival", "orchard", "bridge", "library", "vineyard", "glacier", "market",
		"stadium", "observatory", "railway", "museum", "forest", "canal", "theatre"}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", name, i))
	return fmt.Sprintf("%s %s %s reopens after %d years (%s)", words[sum[0]%16], words[sum[1]%16], words[sum[2]%16], 2+int(sum[3])%90,
		hex.EncodeToString(sum[:3]))
}

func TestNoTwoOf400GeneratedLoadTitlesJoinOneStory(t *testing.T) {
	s := NewStories(nil, 48*time.Hour)
	at := t0
	seen := map[string]string{}
	for f := range 4 {
		for i := range 100 {
			title := generatedTitle(fmt.Sprintf("load-%d", f), i)
			id := fmt.Sprintf("g%d-%d", f, i)
			at = at.Add(time.Minute)
			if story, joined := s.Assign(Article{ID: id, Story: id, Title: title, PublishedAt: at}); joined {
				t.Errorf("%q joined the story of %q", title, seen[story])
			}
			seen[id] = title
		}
	}
}

func TestTitlesNamingTwoIdentifiersAreTwoStories(t *testing.T) {
	for _, c := range [][2]string{
		{"library observatory canal reopens after 37 years (c5fa0e)", "museum theatre observatory reopens after 37 years (bc0f5a)"},
		{"Bird flu H5N1 found in dairy cows in Texas", "Bird flu H5N5 found in dairy cows in Texas"},
		{"Airline orders 50 A320neo jets", "Airline orders 50 A321neo jets"},
	} {
		if SameStory(c[0], c[1]) {
			t.Errorf("%q and %q are one story", c[0], c[1])
		}
	}
	for _, c := range [][2]string{
		{"Bird flu H5N1 found in dairy cows in Texas", "H5N1 bird flu detected in Texas dairy herds"},
	} {
		if !SameStory(c[0], c[1]) {
			t.Errorf("%q and %q are two stories", c[0], c[1])
		}
	}
}

func TestATitleWithBidiControlsOrZeroWidthCharactersIsKeyedAsItsCleanedForm(t *testing.T) {
	clean := "Apple unveils its new phone in Cupertino"
	for _, dirty := range []string{
		"Ap\u200bple unveils its new phone in Cupertino",
		"\u202eApple unveils its new \u2066phone\u2069 in Cupertino\u202c",
		"\ufeffApple unveils\u200e its new phone\u200f in Cupertino\u2060",
	} {
		ka, kb := keyOf(dirty), keyOf(clean)
		if ka.sig != kb.sig || !slices.Equal(ka.toks, kb.toks) || !slices.Equal(ka.flags, kb.flags) {
			t.Errorf("keyOf(%q) differs from keyOf(%q)", dirty, clean)
		}
		if !SameStory(dirty, clean) {
			t.Errorf("%q and %q are two stories", dirty, clean)
		}
	}
}

// assignAll assigns titles published at the given minutes after t0, in
// order, and returns their stories.
func assignAll(titles []string, minutes []int) []string {
	s := NewStories(nil, 48*time.Hour)
	out := make([]string, len(titles))
	for i, title := range titles {
		id := fmt.Sprintf("a%d", i)
		out[i], _ = s.Assign(Article{ID: id, Story: id, Title: title, PublishedAt: t0.Add(time.Duration(minutes[i]) * time.Minute)})
	}
	return out
}

func TestTwoLooselyAlikeTitlesJoinWhenPublishedWithinTheHourButNotHoursApart(t *testing.T) {
	titles := []string{"An enzyme that breaks down plastic in hours", "Scientists engineer enzyme that digests plastic within hours"}
	if got := assignAll(titles, []int{0, 20}); got[0] != got[1] {
		t.Errorf("published 20 minutes apart, they are two stories: %v", got)
	}
	if got := assignAll(titles, []int{0, 180}); got[0] == got[1] {
		t.Errorf("published 3 hours apart, they are one story: %v", got)
	}
}

func TestAStoryNamingTheCityJoinsAVersionNamingTheCountryThatSaysTheSame(t *testing.T) {
	got := assignAll([]string{
		"Istanbul mayor detained in corruption probe",
		"Turkey detains Istanbul mayor Imamoglu",
		"Istanbul's mayor İmamoğlu arrested: what we know",
		"Turkish police detain Istanbul mayor in graft investigation - Reuters",
	}, []int{0, 20, 50, 70})
	for i := range got {
		if got[i] != got[0] {
			t.Errorf("version %d is story %s, want the first's %s", i, got[i], got[0])
		}
	}
}
