package dynalite_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

// TestATableKeptFromBeforeAnIndexWasDeclaredIsAClearError: creating the
// tables again leaves an existing one alone; one that lacks a declared index
// (a data folder older than the declaration) is refused with what to do.
func TestATableKeptFromBeforeAnIndexWasDeclaredIsAClearError(t *testing.T) {
	root, err := dynamotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	d, err := dynalite.Start(root, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, db := context.Background(), dynalite.Client(d.URL)
	name := func(n string) string { return "test-" + n }
	old := contract.Table{Name: "things", PartitionKey: contract.Key{Name: "pk", Type: contract.String},
		Indexes: []contract.Index{{Name: "by-a", PartitionKey: contract.Key{Name: "a", Type: contract.String}}}}
	if err := dynalite.CreateTables(ctx, db, []contract.Table{old}, name); err != nil {
		t.Fatal(err)
	}
	if err := dynalite.CreateTables(ctx, db, []contract.Table{old}, name); err != nil {
		t.Errorf("creating an existing table with the same indexes again: %v", err)
	}
	grown := old
	grown.Indexes = append(grown.Indexes, contract.Index{Name: "by-b", PartitionKey: contract.Key{Name: "b", Type: contract.String}})
	err = dynalite.CreateTables(ctx, db, []contract.Table{grown}, name)
	if err == nil || !strings.Contains(err.Error(), "index by-b") || !strings.Contains(err.Error(), "KIOSK_DATA_DIR") {
		t.Errorf("an existing table without a declared index: %v, want an error naming the index and the data folder", err)
	}
}
