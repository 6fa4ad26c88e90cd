//go:build !((linux || darwin || freebsd) && (amd64 || arm64))

package cpu

import "errors"

// openBLAS is unavailable on this platform: purego cannot load libraries
// here, so Sgemm always uses the Go kernel.
func openBLAS(name string) (*blasLib, error) {
	return nil, errors.New("run-time library loading unsupported on this platform")
}
