// Package selfprofile lets a bootstrap profile its own CPU for make bench: in
// a build with -tags pprof (never a deployed one: infra/dist.Tags), a process
// whose environment names a file in contract.CPUProfileEnv profiles itself
// from init until SIGTERM, then writes the profile and exits. Without the
// tag the package is empty: boot imports it for nothing.
package selfprofile
