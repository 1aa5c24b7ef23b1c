package local_test

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

// smallCloud starts a cloud of only the functions keep returns true for
// (after it may adjust them), no sample news, a fast retry backoff, and the
// TTL settings of ttl; it stops when the test ends.
func smallCloud(t *testing.T, keep func(f *topology.Function) bool, ttl local.Config) *local.Cloud {
	t.Helper()
	small := topology.Kiosk()
	var fns []topology.Function
	for _, f := range small.Functions {
		if keep(&f) {
			fns = append(fns, f)
		}
	}
	small.Functions = fns
	if !slices.ContainsFunc(fns, func(f topology.Function) bool { return f.Name == small.Authorizer }) {
		small.Authorizer = ""
	}
	c, err := local.Start(context.Background(), local.Config{Root: root, Dist: dist, Topology: &small, NoSamples: true,
		Console: io.Discard, LogDir: filepath.Join(t.TempDir(), "logs"), Backoff: 20 * time.Millisecond,
		TTLDelay: ttl.TTLDelay, TTLImmediate: ttl.TTLImmediate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// ttlCloud is a cloud with one function and every table, its TTL deleting
// expired items after delay (or at once).
func ttlCloud(t *testing.T, delay time.Duration, immediate bool) *local.Cloud {
	t.Helper()
	return smallCloud(t, func(f *topology.Function) bool { return f.Name == "health-api" },
		local.Config{TTLDelay: delay, TTLImmediate: immediate})
}

func putExpiring(t *testing.T, c *local.Cloud, id string, expires types.AttributeValue) {
	t.Helper()
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: id}}
	if expires != nil {
		item["expires_at"] = expires
	}
	_, err := dynalite.Client(c.DynamoURL).PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(c.TableName("events")), Item: item})
	if err != nil {
		t.Fatal(err)
	}
}

func present(t *testing.T, c *local.Cloud, id string) bool {
	t.Helper()
	out, err := dynalite.Client(c.DynamoURL).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(c.TableName("events")), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: id}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

func TestExpiredItemsAreDeletedWhenTheClockPassesThem(t *testing.T) {
	c := ttlCloud(t, 0, true)
	now := c.Now()
	putExpiring(t, c, "ev#35-days", epoch(now.Add(35*24*time.Hour)))         // an event, as stored today
	putExpiring(t, c, "ev#41-days", epoch(now.Add(41*24*time.Hour)))         // still alive after 40 days
	putExpiring(t, c, "ev#no-ttl", nil)                                      // no attribute: kept forever
	putExpiring(t, c, "ev#string", &types.AttributeValueMemberS{Value: "1"}) // not a number: DynamoDB ignores it
	putExpiring(t, c, "ev#ancient", epoch(now.AddDate(-6, 0, 0)))            // more than five years past: ignored too
	if !present(t, c, "ev#35-days") {
		t.Fatal("a fresh item is missing")
	}
	c.MoveClock(now.Add(40 * 24 * time.Hour))
	for id, want := range map[string]bool{"ev#35-days": false, "ev#41-days": true, "ev#no-ttl": true, "ev#string": true, "ev#ancient": true} {
		if got := present(t, c, id); got != want {
			t.Errorf("%s present after 40 days = %v, want %v", id, got, want)
		}
	}
	if c.TTLDeleted() != 1 {
		t.Errorf("deleted %d items, want 1", c.TTLDeleted())
	}
}

func TestExpiredItemsLingerForTheDelayAsInDynamoDB(t *testing.T) {
	c := ttlCloud(t, 15*time.Minute, false)
	now := c.Now()
	putExpiring(t, c, "ev#just-expired", epoch(now.Add(-time.Minute)))
	putExpiring(t, c, "ev#long-expired", epoch(now.Add(-20*time.Minute)))
	if _, err := c.SweepTTL(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !present(t, c, "ev#just-expired") {
		t.Error("an item expired a minute ago is gone: readers must see expired-but-present items too")
	}
	if present(t, c, "ev#long-expired") {
		t.Error("an item expired 20 minutes ago is still there with a 15-minute delay")
	}
	c.MoveClock(now.Add(15 * time.Minute))
	if present(t, c, "ev#just-expired") {
		t.Error("an item expired 16 minutes ago is still there after the clock moved")
	}
}

func TestAnItemExtendedBeforeTheSweepStays(t *testing.T) {
	c := ttlCloud(t, 0, true)
	now := c.Now()
	putExpiring(t, c, "ev#renewed", epoch(now.Add(time.Hour)))
	putExpiring(t, c, "ev#renewed", epoch(now.Add(72*time.Hour))) // a refresh moved its expiry
	c.MoveClock(now.Add(2 * time.Hour))
	if !present(t, c, "ev#renewed") {
		t.Error("an item whose expiry was extended was deleted at its old expiry")
	}
}
