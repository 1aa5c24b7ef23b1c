// Package dynalite runs the local DynamoDB — the pinned npm package dynalite,
// from the repository's node_modules — for the local cloud and for the store
// tests, and creates tables from the contract's declarations.
package dynalite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Region is the region local clients sign for.
const Region = "us-east-1"

// Dynalite is the local DynamoDB: the pinned npm package, in memory unless a
// data folder is given.
type Dynalite struct {
	cmd    *exec.Cmd
	URL    string
	exited chan struct{}
}

// Start starts dynalite from root/node_modules on a free loopback port,
// its output going to logs.
//
// A port picked free can be taken before dynalite binds it (by another
// process, or as the local port of a connection any process opens: the
// kernel hands those out from the same range), and dynalite then exits
// without listening: it is started again on a new port, up to StartTries
// times in all.
func Start(root, dataDir string, logs io.Writer) (*Dynalite, error) {
	bin := filepath.Join(root, "node_modules", ".bin", "dynalite")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s is missing; run npm ci (make dev does)", bin)
	}
	for try := 1; ; try++ {
		d, err := start(bin, dataDir, logs)
		if !errors.Is(err, ErrExitedEarly) || try == StartTries {
			return d, err
		}
	}
}

// StartTries is how many times a child whose picked port was taken (it
// exits before it listens: ErrExitedEarly) is started in all, dynalite here
// and the local cloud's emulators alike.
const StartTries = 3

// ErrExitedEarly is WaitListening's error for a process that exited before
// it listened.
var ErrExitedEarly = errors.New("process exited before listening")

// pickPort picks dynalite's port (a variable for the test that hands out a
// taken one).
var pickPort = FreePort

func start(bin, dataDir string, logs io.Writer) (*Dynalite, error) {
	port, err := pickPort()
	if err != nil {
		return nil, err
	}
	args := []string{"--port", strconv.Itoa(port), "--host", "127.0.0.1",
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	if dataDir != "" {
		dir := filepath.Join(dataDir, "dynamodb")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "--path", dir)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = childAttrs()
	d := &Dynalite{cmd: cmd, URL: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(d.exited) }()
	if err := WaitListening(fmt.Sprintf("127.0.0.1:%d", port), 20*time.Second, d.exited); err != nil {
		d.Close()
		return nil, fmt.Errorf("dynalite: %w", err)
	}
	return d, nil
}

// Close kills dynalite.
func (d *Dynalite) Close() {
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
	}
}

// Client is a DynamoDB client for a local endpoint with dummy
// credentials, for the local cloud itself and for tests.
func Client(url string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(url),
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
		})),
	})
}

// CreateTables creates every given table that does not exist yet (the
// contract's declarations, which the CDK stack reads too), named by name.
// A table that exists already (kept in a data folder) must have every
// declared index: dynalite cannot add one to a table, so a table created
// before an index was declared is an error that says so, not a query that
// fails later.
func CreateTables(ctx context.Context, db *dynamodb.Client, tables []contract.Table, name func(string) string) error {
	for _, t := range tables {
		_, err := db.CreateTable(ctx, TableInput(t, name(t.Name)))
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("create table %s: %w", t.Name, err)
		}
		if err := WaitActive(ctx, db, name(t.Name)); err != nil {
			return err
		}
		if err != nil { // it existed: check its indexes
			out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name(t.Name))})
			if err != nil {
				return fmt.Errorf("describe table %s: %w", t.Name, err)
			}
			has := map[string]bool{}
			for _, ix := range out.Table.GlobalSecondaryIndexes {
				has[aws.ToString(ix.IndexName)] = true
			}
			for _, ix := range t.Indexes {
				if !has[ix.Name] {
					return fmt.Errorf("table %s was created before its index %s was declared, and dynalite cannot add an index "+
						"to a table: remove the data folder (KIOSK_DATA_DIR) to start afresh", t.Name, ix.Name)
				}
			}
		}
	}
	return nil
}

// TableInput is the CreateTable request for a declared table.
func TableInput(t contract.Table, physical string) *dynamodb.CreateTableInput {
	attrs := map[string]types.ScalarAttributeType{}
	keySchema := func(pk Key, sk *Key) []types.KeySchemaElement {
		ks := []types.KeySchemaElement{{AttributeName: aws.String(pk.Name), KeyType: types.KeyTypeHash}}
		attrs[pk.Name] = types.ScalarAttributeType(pk.Type)
		if sk != nil {
			ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sk.Name), KeyType: types.KeyTypeRange})
			attrs[sk.Name] = types.ScalarAttributeType(sk.Type)
		}
		return ks
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(physical),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keySchema(t.PartitionKey, t.SortKey),
	}
	for _, ix := range t.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.PartitionKey, ix.SortKey),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	for name, typ := range attrs {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: typ})
	}
	return in
}

// Key is contract.Key, named here for brevity.
type Key = contract.Key

// WaitActive waits until a table is ACTIVE; dynalite, like DynamoDB, creates
// tables asynchronously.
func WaitActive(ctx context.Context, db *dynamodb.Client, table string) error {
	for range 500 {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err == nil && out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("table %s did not become ACTIVE", table)
}

// FreePort returns a free loopback TCP port (for dynalite and, in the local
// cloud, every other local server).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitListening waits until something accepts connections on addr, or the
// process behind it exits, or limit passes.
func WaitListening(addr string, limit time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%w on %s", ErrExitedEarly, addr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fmt.Errorf("nothing listening on %s after %s", addr, limit)
}

// Pid is dynalite's process id (its process group's leader), for memory
// accounting.
func (d *Dynalite) Pid() int { return d.cmd.Process.Pid }
