package topology

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// CORS is what the HTTP API answers browsers: the stack sets it as the API's
// CorsConfiguration (API Gateway then answers preflight OPTIONS itself and
// adds the headers to every answer), and the local gateway does the same
// from it.
type CORS struct {
	// Origins are the app origins allowed when the deployment names none
	// (the CDK context "origins" names a stage's own).
	Origins []string
	// Methods a browser may send (the routes' methods; a test checks).
	Methods []string
	// AllowHeaders are the request headers a browser may send.
	AllowHeaders []string
	// ExposeHeaders are the response headers a browser app may read.
	ExposeHeaders []string
	// MaxAge is how long a browser may keep a preflight answer.
	MaxAge time.Duration
}

// Allows reports whether origin is one of origins.
func (c CORS) Allows(origins []string, origin string) bool {
	return origin != "" && slices.Contains(origins, origin)
}

// Preflight returns the headers of the answer to a preflight request from an
// allowed origin for method and the request headers it names (requested, as
// Access-Control-Request-Headers), or nil when the request is not allowed
// (API Gateway then answers without CORS headers).
func (c CORS) Preflight(origins []string, origin, method, requested string) map[string]string {
	if !c.Allows(origins, origin) || !slices.Contains(c.Methods, method) {
		return nil
	}
	for _, h := range strings.Split(requested, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" && !slices.Contains(c.AllowHeaders, h) {
			return nil
		}
	}
	return map[string]string{
		"Access-Control-Allow-Origin":  origin,
		"Access-Control-Allow-Methods": strings.Join(c.Methods, ","),
		"Access-Control-Allow-Headers": strings.Join(c.AllowHeaders, ","),
		"Access-Control-Max-Age":       strconv.Itoa(int(c.MaxAge.Seconds())),
	}
}

// Actual returns the headers added to the answer of a request from an
// allowed origin (nil for another origin).
func (c CORS) Actual(origins []string, origin string) map[string]string {
	if !c.Allows(origins, origin) {
		return nil
	}
	return map[string]string{
		"Access-Control-Allow-Origin":   origin,
		"Access-Control-Expose-Headers": strings.Join(c.ExposeHeaders, ","),
	}
}
