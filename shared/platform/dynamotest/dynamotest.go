// Package dynamotest gives store tests a real DynamoDB: dynalite, started once
// per test package from TestMain, and fresh, uniquely named tables built from
// the topology's declarations and deleted after each test. It never skips: a
// test that cannot reach dynalite fails.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

var (
	start  sync.Once
	url    string
	client *dynamodb.Client
	server *dynalite.Dynalite
	failed error
)

// Main runs the package's tests and stops dynalite if a test started it. Use
// it as `func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }`.
// dynalite starts on the first Table call, so a package's unit tests (its
// services over the in-memory store) run without Node.
func Main(m *testing.M) int {
	code := m.Run()
	if server != nil {
		server.Close()
	}
	return code
}

// up starts dynalite once.
func up() error {
	start.Do(func() {
		root, err := Root()
		if err != nil {
			failed = err
			return
		}
		if server, err = dynalite.Start(root, "", io.Discard); err != nil {
			failed = fmt.Errorf("cannot start dynalite (run npm ci or make test): %w", err)
			return
		}
		url = server.URL
		client = dynalite.Client(url)
	})
	return failed
}

// URL is dynalite's endpoint (started if it is not yet).
func URL(t testing.TB) string {
	t.Helper()
	if err := up(); err != nil {
		t.Fatal("dynamotest:", err)
	}
	return url
}

// Table creates a fresh table shaped like the contract's table `logical`, and
// deletes it when the test ends.
func Table(t testing.TB, logical string) dynamo.Table {
	t.Helper()
	if err := up(); err != nil {
		t.Fatal("dynamotest:", err)
	}
	decl, ok := contract.FindTable(logical)
	if !ok {
		t.Fatalf("dynamotest: the contract declares no table %q", logical)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := fmt.Sprintf("test-%s-%s", logical, hex.EncodeToString(b))
	ctx := context.Background()
	if _, err := client.CreateTable(ctx, dynalite.TableInput(decl, name)); err != nil {
		t.Fatalf("dynamotest: create %s: %v", name, err)
	}
	if err := dynalite.WaitActive(ctx, client, name); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return dynamo.NewFromIface(client).Table(name)
}

// Root finds the repository root (the folder holding go.mod) from the working
// directory.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
