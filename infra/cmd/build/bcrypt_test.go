package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/infra/dist"
)

// Only the function that signs editors in hashes passwords: the console's
// other functions check sessions through shared/editor too, but bcrypt (and
// its Blowfish tables) must not come along through a package-level
// initializer (12 KiB of symbols, 21 KiB of admin-ops' bootstrap).
func TestOnlyTheSignInFunctionLinksBcrypt(t *testing.T) {
	dir := t.TempDir()
	fns := []string{"admin-console", "admin-moderation", "admin-ops"}
	args := []string{"build", "-tags", dist.Tags, "-o", dir + "/"}
	for _, fn := range fns {
		args = append(args, "../../../functions/"+fn)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, fn := range fns {
		out, err := exec.Command("go", "tool", "nm", dir+"/"+fn).Output()
		if err != nil {
			t.Fatalf("go tool nm %s: %v", fn, err)
		}
		links := strings.Contains(string(out), " golang.org/x/crypto/blowfish.encryptBlock")
		if want := fn == "admin-console"; links != want {
			t.Errorf("%s links bcrypt: %v, want %v", fn, links, want)
		}
	}
}
