package article

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
)

// Canonicalize returns the canonical form of an article URL (feeddoc's, where
// the parse-feed function applies it too).
func Canonicalize(raw string) (string, error) { return feeddoc.Canonicalize(raw) }

// IDFor derives an article's id from its canonical URL: 32 hex characters.
func IDFor(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return hex.EncodeToString(sum[:16])
}

// ValidID reports whether s looks like an article id.
func ValidID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
