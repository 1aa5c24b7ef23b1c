// Package arch holds the tests that keep Kiosk's shape: what may import what,
// who reads the environment, and that a function's main only wires. It has no
// code of its own; read arch_test.go.
package arch
