package cpu

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// BLAS selection.
//
// Sgemm runs on OpenBLAS when the shared library can be loaded at run time
// (through purego: no cgo, so a CGO_ENABLED=0 binary still finds it), and on
// the pure-Go kernel of gemm_go.go otherwise. The choice is made once, on the
// first GEMM or the first call to BLASInfo, and reported once through the
// log hook (SetLogHook). SetThreads governs OpenBLAS too: a changed bound
// is passed to openblas_set_num_threads before the next OpenBLAS GEMM.
// Convolutions do not go through Sgemm by default: they run on the Go GEMM
// with im2col fused into its packing (conv_fused.go), which measured faster
// than im2col + OpenBLAS here and needs no col buffer.
//
// Environment:
//
//	GCDET_BLAS=off        never load OpenBLAS (tests use it to exercise the Go path)
//	GCDET_BLAS=/path.so   load this library instead of searching the usual names
//	GCDET_THREADS=n       bound the threads of every kernel, OpenBLAS included

// blasLib is a loaded BLAS: its entry points and a description.
type blasLib struct {
	name       string // library path as opened
	config     string // openblas_get_config()
	sgemm      func(order, transA, transB int32, m, n, k int32, alpha float32, a *float32, lda int32, b *float32, ldb int32, beta float32, c *float32, ldc int32)
	setThreads func(n int32) // nil when the library lacks openblas_set_num_threads
}

var (
	blasOnce sync.Once
	blas     *blasLib // nil: the Go path
	blasErr  string   // why OpenBLAS is not used
	blasOff  bool     // UseBLAS(false) in effect

	logMu   sync.Mutex
	logHook = defaultLog
)

// candidate library names, most specific first.
var blasNames = []string{
	"libopenblas.so.0",
	"libopenblas.so",
	"/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
	"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
	"/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
	"/usr/lib64/libopenblas.so.0",
	"/usr/local/lib/libopenblas.so.0",
	"/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
	"/usr/local/opt/openblas/lib/libopenblas.dylib",
	"libopenblas.dylib",
}

// envThreads is the thread bound from GCDET_THREADS, or def when unset or
// invalid.
func envThreads(def int) int {
	if v := os.Getenv("GCDET_THREADS"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
			return n
		}
	}
	return def
}

// loadBLAS picks the GEMM path once.
func loadBLAS() {
	blasOnce.Do(func() {
		env := strings.TrimSpace(os.Getenv("GCDET_BLAS"))
		switch strings.ToLower(env) {
		case "off", "0", "no", "false", "go":
			blasErr = "disabled by GCDET_BLAS=" + env
		default:
			names := blasNames
			if env != "" && env != "on" {
				names = []string{env}
			}
			// OpenBLAS's idle threads spin for 2^28 cycles (about 0.1 s)
			// after each call by default, taking the cores from the Go
			// kernels that run between GEMMs; 2^20 cycles keeps them warm
			// across back-to-back calls only. The library reads this at
			// load; a value set by the user wins.
			if os.Getenv("OPENBLAS_THREAD_TIMEOUT") == "" {
				os.Setenv("OPENBLAS_THREAD_TIMEOUT", "20")
			}
			var errs []string
			for _, n := range names {
				lib, err := openBLAS(n)
				if err == nil {
					blas = lib
					break
				}
				errs = append(errs, err.Error())
			}
			if blas == nil {
				blasErr = "OpenBLAS not found"
				if env != "" && env != "on" {
					blasErr += ": " + strings.Join(errs, "; ")
				}
			} else if blas.setThreads != nil {
				blas.setThreads(int32(Threads()))
			}
		}
		if !testing.Testing() {
			logf("gcdet: GEMM via %s", info())
		}
	})
}

// BLASInfo describes the GEMM path in use, e.g. "OpenBLAS
// /usr/lib/.../libopenblas.so.0 (OpenBLAS 0.3.21 ...), 2 threads" or "pure
// Go kernel (OpenBLAS not found), 2 threads".
func BLASInfo() string {
	loadBLAS()
	return info()
}

func info() string {
	if b := activeBLAS(); b != nil {
		return fmt.Sprintf("OpenBLAS %s (%s), %d threads", b.name, b.config, Threads())
	}
	why := blasErr
	if blasOff && blas != nil {
		why = "disabled by UseBLAS(false)"
	}
	return fmt.Sprintf("pure Go kernel (%s), %d threads", why, Threads())
}

// HaveBLAS reports whether OpenBLAS was loaded (whether or not UseBLAS
// disabled it).
func HaveBLAS() bool {
	loadBLAS()
	return blas != nil
}

// UseBLAS switches Sgemm between OpenBLAS (when loaded) and the Go kernel;
// it returns the previous setting. Tests use it to exercise both paths in
// one process; it is not safe to call while GEMMs are running.
func UseBLAS(on bool) bool {
	loadBLAS()
	prev := !blasOff
	blasOff = !on
	return prev
}

// activeBLAS is the library Sgemm should call, or nil for the Go kernel.
func activeBLAS() *blasLib {
	if blasOff {
		return nil
	}
	return blas
}

// SetLogHook replaces the function that reports the chosen GEMM path (once
// per process). The default writes one line to stderr, except under go test;
// nil silences it.
func SetLogHook(f func(msg string)) {
	logMu.Lock()
	logHook = f
	logMu.Unlock()
}

func logf(format string, args ...any) {
	logMu.Lock()
	h := logHook
	logMu.Unlock()
	if h != nil {
		h(fmt.Sprintf(format, args...))
	}
}

func defaultLog(msg string) { fmt.Fprintln(os.Stderr, msg) }
