package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

func TestRespondWritesTheValueTheErrorOrNoBody(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	for name, c := range map[string]struct {
		status int
		v      any
		err    error
		code   int
		body   string
	}{
		"a value":                 {http.StatusCreated, map[string]int{"n": 1}, nil, 201, `{"n":1}`},
		"no content":              {http.StatusNoContent, nil, nil, 204, ``},
		"an application error":    {http.StatusOK, map[string]int{"n": 1}, kiosk.Errorf(kiosk.ENOTFOUND, "no such thing"), 404, `"no such thing"`},
		"an internal error hides": {http.StatusOK, nil, errors.New("secret cause"), 500, `"internal error"`},
	} {
		w := httptest.NewRecorder()
		Respond(w, r, c.status, c.v, c.err)
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.body) || (c.body == "" && w.Body.Len() != 0) || strings.Contains(w.Body.String(), "secret") {
			t.Errorf("%s: %d %q", name, w.Code, w.Body.String())
		}
	}
}

func TestForUserRefusesARequestWithoutAUser(t *testing.T) {
	called := false
	h := ForUser(func(http.ResponseWriter, *http.Request, string) { called = true })
	w := httptest.NewRecorder()
	h(w, httptest.NewRequest("GET", "/v1/users/me", nil))
	if called || w.Code != http.StatusUnauthorized {
		t.Errorf("without an authorizer context: called %v, status %d", called, w.Code)
	}
}

func TestNoBodyRefusesABodyOnARouteThatTakesNone(t *testing.T) {
	for name, c := range map[string]struct {
		body string
		want string // the error code, "" for none
	}{
		"no body":      {"", ""},
		"a JSON body":  {`{"name":"x"}`, kiosk.EINVALID},
		"one byte":     {" ", kiosk.EINVALID},
		"a null value": {"null", kiosk.EINVALID},
	} {
		r := httptest.NewRequest("POST", "/v1/users", strings.NewReader(c.body))
		if c.body == "" {
			r.Body = http.NoBody
		}
		err := NoBody(r)
		if (c.want == "" && err != nil) || (c.want != "" && kiosk.ErrorCode(err) != c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
