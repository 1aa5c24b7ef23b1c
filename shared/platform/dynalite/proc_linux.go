package dynalite

import "syscall"

// childAttrs puts a child in its own process group, so stopping it stops what it
// started too (the emulator's bootstrap), and kills it if the local cloud dies.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
