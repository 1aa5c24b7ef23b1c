package article

import (
	"math/rand/v2"
	"regexp"
	"testing"
	"time"
)

// TestValidPositionIsTheRegexpItReplaced: a cursor's position is accepted
// exactly as the regexp accepted it, for real positions, their mutations and
// hostile keys.
func TestValidPositionIsTheRegexpItReplaced(t *testing.T) {
	re := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z#[0-9a-f]{32}$`)
	real := position(time.Date(2026, 12, 1, 9, 30, 5, 123456789, time.UTC), IDFor("https://news.example/a"))
	cases := []string{"", real, real + "\n", real + "0", real[1:], "x" + real[1:], "#", real[:30]}
	r := rand.New(rand.NewPCG(24, 24))
	const alphabet = "09afgAF-:T.Z#\n"
	for range 20000 {
		b := []byte(real)
		for range 1 + r.IntN(3) {
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := validPosition(s), re.MatchString(s); got != want {
			t.Errorf("validPosition(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}
