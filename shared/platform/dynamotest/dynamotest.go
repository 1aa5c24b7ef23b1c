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
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

var (
	url    string
	client *dynamodb.Client
)

// Main starts dynalite, runs the package's tests and stops it. Use it as
// `func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }`.
func Main(m *testing.M) int {
	root, err := Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dynamotest:", err)
		return 1
	}
	d, err := dynalite.Start(root, "", io.Discard)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dynamotest: cannot start dynalite (run npm ci or make test):", err)
		return 1
	}
	defer d.Close()
	url = d.URL
	client = dynalite.Client(url)
	return m.Run()
}

// URL is dynalite's endpoint.
func URL() string { return url }

// Table creates a fresh table shaped like the contract's table `logical`, and
// deletes it when the test ends.
func Table(t testing.TB, logical string) dynamo.Table {
	t.Helper()
	if client == nil {
		t.Fatal("dynamotest: dynalite is not running; call dynamotest.Main from TestMain")
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
