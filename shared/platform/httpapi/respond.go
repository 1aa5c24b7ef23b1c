package httpapi

import (
	"net/http"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Respond ends a handler that called one service method: err as the error
// contract, else v as JSON with status (204: no body).
func Respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	switch {
	case err != nil:
		Error(w, r, err)
	case status == http.StatusNoContent:
		w.WriteHeader(status)
	default:
		WriteJSON(w, status, v)
	}
}

// ForUser serves a route of the caller's own: h gets the user id the
// authorizer put in the token's context (never one the client sends); a
// request without one is a 401 (UserOf).
func ForUser(h func(w http.ResponseWriter, r *http.Request, userID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if id, ok := UserOf(w, r); ok {
			h(w, r, id)
		}
	}
}

// NoBody refuses a request that carries a body on a route that takes none (a
// client sending one expects it to mean something; ignoring it silently
// would hide the client's mistake).
func NoBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	var b [1]byte
	if n, _ := r.Body.Read(b[:]); n > 0 {
		return kiosk.Errorf(kiosk.EINVALID, "this route takes no body")
	}
	return nil
}
