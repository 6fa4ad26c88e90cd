//go:build (linux || darwin || freebsd) && (amd64 || arm64)

package cpu

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// openBLAS opens a shared library and binds the OpenBLAS entry points Sgemm
// needs. The library must export cblas_sgemm with 32-bit integers (the usual
// LP64 build, as Debian's libopenblas0-pthread is).
func openBLAS(name string) (lib *blasLib, err error) {
	h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, err
	}
	defer func() {
		// RegisterLibFunc panics on a missing symbol; report it as an error.
		if r := recover(); r != nil {
			purego.Dlclose(h)
			lib, err = nil, fmt.Errorf("%s: %v", name, r)
		}
	}()
	lib = &blasLib{name: name, config: "unknown build"}
	purego.RegisterLibFunc(&lib.sgemm, h, "cblas_sgemm")
	if sym, e := purego.Dlsym(h, "openblas_set_num_threads"); e == nil {
		purego.RegisterFunc(&lib.setThreads, sym)
	} else {
		// Without it this is not OpenBLAS (maybe the reference BLAS behind
		// an alternatives link), which would be slower than our Go kernel.
		purego.Dlclose(h)
		return nil, fmt.Errorf("%s: no openblas_set_num_threads, not OpenBLAS", name)
	}
	if sym, e := purego.Dlsym(h, "openblas_get_config"); e == nil {
		var cfg func() string
		purego.RegisterFunc(&cfg, sym)
		lib.config = cfg()
	}
	if sym, e := purego.Dlsym(h, "openblas_get_corename"); e == nil {
		var core func() string
		purego.RegisterFunc(&core, sym)
		lib.config += ", core " + core()
	}
	return lib, nil
}
