package train

import (
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// newLogger logs readable lines to console (colors only on a terminal) and
// JSON lines to file (nil: none).
func newLogger(console io.Writer, file io.Writer) zerolog.Logger {
	cw := zerolog.ConsoleWriter{Out: console, TimeFormat: time.TimeOnly, NoColor: !isTerminal(console)}
	var w io.Writer = cw
	if file != nil {
		w = zerolog.MultiLevelWriter(cw, file)
	}
	return zerolog.New(w).With().Timestamp().Logger()
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
