package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

// oneClient is an HTTP client whose every request comes from ip.
func oneClient(ip string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: checked(&http.Transport{DialContext: local.FromAddr(net.ParseIP(ip)).DialContext})}
}

// awayFromTheWindowEdge waits, if needed, so that the next few seconds stay in
// one fixed window of the given length.
func awayFromTheWindowEdge(window time.Duration) {
	if left := time.Until(time.Now().Truncate(window).Add(window)); left < 8*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
}

// TestRegistrationIsLimitedPerAddress: the topology allows 20 registrations a
// minute from one address. The 21st from it is a 429 with Retry-After in the
// error contract and creates nobody; another address still registers.
func TestRegistrationIsLimitedPerAddress(t *testing.T) {
	awayFromTheWindowEdge(time.Minute)
	c := oneClient("127.0.42.1")
	before := count(t, "users")
	created := 0
	for i := range 24 {
		status, body, h := send(t, c, "POST", "/v1/users", "", "")
		switch {
		case status == 201:
			created++
		case status == 429 && i >= 20:
			if ra := h.Get("Retry-After"); ra == "" || ra == "0" || !strings.Contains(string(body), `"code":"rate_limited"`) {
				t.Errorf("429 without Retry-After or the error contract: %q %s", ra, body)
			}
		default:
			t.Fatalf("registration %d: %d %s", i+1, status, body)
		}
	}
	if created != 20 {
		t.Errorf("%d registrations from one address in a minute, want 20", created)
	}
	if n := count(t, "users") - before; n < 20 || n > 20+10 { // other tests may register alongside
		t.Errorf("the users table grew by %d, want 20", n)
	}
	if status, body, _ := send(t, oneClient("127.0.42.2"), "POST", "/v1/users", "", ""); status != 201 {
		t.Errorf("another address: %d %s", status, body)
	}
}

// TestTrackingIsLimitedPerUser: 120 event batches a minute per user; past
// that a 429 with Retry-After; another user is not affected.
func TestTrackingIsLimitedPerUser(t *testing.T) {
	awayFromTheWindowEdge(time.Minute)
	a, b := register(t), register(t)
	c := oneClient("127.0.42.3") // one address: the limit is per user, not per address
	body := func(i int) string {
		return fmt.Sprintf(`{"events":[{"id":"limit-%04d","type":"impression","article_id":"%032x","at":"%s"}]}`, i, 7, time.Now().UTC().Format(time.RFC3339))
	}
	accepted, limited := 0, 0
	for i := range 125 {
		status, out, h := send(t, c, "POST", "/v1/events", a.Token, body(i))
		switch status {
		case 202:
			accepted++
		case 429:
			limited++
			if h.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After: %s", out)
			}
		default:
			t.Fatalf("batch %d: %d %s", i, status, out)
		}
	}
	if accepted != 120 || limited != 5 {
		t.Errorf("one user: %d accepted, %d limited; want 120 and 5", accepted, limited)
	}
	if status, out, _ := send(t, c, "POST", "/v1/events", b.Token, body(0)); status != 202 {
		t.Errorf("another user from the same address: %d %s", status, out)
	}
}

// TestBodiesAreCappedPerRoute: each route's cap is the topology's, whether
// the client declares the length or streams the body.
func TestBodiesAreCappedPerRoute(t *testing.T) {
	u := register(t)
	events := func(n int) string {
		var evs []string
		for i := range n {
			evs = append(evs, fmt.Sprintf(`{"id":"cap-%04d","type":"impression","article_id":"%032x","at":"%s"}`, i, 9, time.Now().UTC().Format(time.RFC3339)))
		}
		return `{"events":[` + strings.Join(evs, ",") + `]}`
	}
	big := events(500) // the most a batch may hold: within POST /v1/events' cap
	if status, out, _ := send(t, http.DefaultClient, "POST", "/v1/events", u.Token, big); status != 202 {
		t.Errorf("a full batch of 500 events (%d bytes): %d %s", len(big), status, truncated(out))
	}
	interests := `{"categories":["` + strings.Repeat("a", 5000) + `"]}`
	for _, c := range []struct {
		name, method, path, body string
		chunked                  bool
	}{
		{"interests over 4 KiB", "PUT", "/v1/users/me/interests", interests, false},
		{"interests over 4 KiB, streamed", "PUT", "/v1/users/me/interests", interests, true},
		{"events over 512 KiB", "POST", "/v1/events", `{"events":[],"x":"` + strings.Repeat("x", 600<<10) + `"}`, false},
	} {
		var r io.Reader = strings.NewReader(c.body)
		if c.chunked {
			r = io.MultiReader(r) // hides the length: sent chunked
		}
		req, _ := http.NewRequest(c.method, cloud.APIURL+c.path, r)
		req.Header.Set("Authorization", "Bearer "+u.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if resp.StatusCode != 413 || json.Unmarshal(out, &e) != nil || e.Error.Code != "payload_too_large" {
			t.Errorf("%s: %d %s, want 413 payload_too_large", c.name, resp.StatusCode, truncated(out))
		}
	}
}

// count is the number of items in a table, read straight from dynalite.
func count(t *testing.T, table string) int {
	t.Helper()
	out, err := dynalite.Client(cloud.DynamoURL).Scan(context.Background(), &dynamodb.ScanInput{
		TableName: aws.String(cloud.TableName(table)), Select: types.SelectCount})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}
