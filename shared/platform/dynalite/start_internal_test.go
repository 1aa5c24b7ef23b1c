package dynalite

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestDynaliteWhosePortWasTakenStartsOnAnother: the port picked for
// dynalite is taken before it binds it — here as the local port of an open
// connection, which the kernel hands out from the same range as free ports
// — so dynalite exits without listening; Start starts it again on a new
// port.
func TestDynaliteWhosePortWasTakenStartsOnAnother(t *testing.T) {
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(root) == root {
			t.Fatal("no go.mod above the test's directory")
		}
		root = filepath.Dir(root)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "dynalite")); err != nil {
		t.Skip("dynalite is not installed (npm ci)")
	}
	server, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	conn, err := net.Dial("tcp", server.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	picks := 0
	pickPort = func() (int, error) {
		picks++
		if picks == 1 {
			return conn.LocalAddr().(*net.TCPAddr).Port, nil
		}
		return FreePort()
	}
	defer func() { pickPort = FreePort }()

	d, err := Start(root, "", io.Discard)
	if err != nil {
		t.Fatalf("dynalite did not start: %v", err)
	}
	defer d.Close()
	if picks < 2 {
		t.Errorf("%d ports picked: dynalite was not started on the taken port", picks)
	}
	c, err := net.Dial("tcp", d.URL[len("http://"):])
	if err != nil {
		t.Fatalf("dynalite is not listening at %s: %v", d.URL, err)
	}
	c.Close()
}
