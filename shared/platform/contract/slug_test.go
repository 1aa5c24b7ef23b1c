package contract

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestValidSlugIsTheRegexpItReplaced: the hand-written check accepts exactly
// what ^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$ accepted, for edge cases and for
// random strings over the characters that matter.
func TestValidSlugIsTheRegexpItReplaced(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$`)
	cases := []string{"", "a", "ab", "a-b", "-ab", "ab-", "--", "tech", "world-news", "Tech", "te ch", "tech\n", "\ntech",
		"é-x", "a_b", "a.b", strings.Repeat("a", 40), strings.Repeat("a", 41), strings.Repeat("a", 39) + "-", "0-9", "a\x00b"}
	r := rand.New(rand.NewPCG(24, 24))
	const alphabet = "az09-_A\n."
	for range 20000 {
		b := make([]byte, r.IntN(44))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := ValidSlug(s), re.MatchString(s); got != want {
			t.Errorf("ValidSlug(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}
