//go:build !linux

package dynalite

import "syscall"

// childAttrs puts a child in its own process group, so stopping it stops what it
// started too.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
