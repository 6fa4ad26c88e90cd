package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/gcdet/gcdet/coco/mask"
)

// A results file is one large JSON list of small, flat objects, most of the
// bytes in RLE strings; this single-pass scanner reads it several times
// faster than encoding/json with coco.Segmentation's two-pass decoding,
// which dominated end-to-end segm evaluation. It accepts exactly JSON
// (RFC 8259) and reports the byte offset of the first error. Unknown keys
// are skipped; for a repeated key the last value wins, like encoding/json.

// rawResult is one parsed element, before segmentations become RLEs.
type rawResult struct {
	hasImage, hasCat, hasScore bool
	imageID, catID             int64
	score                      float64
	bbox                       []float64
	seg                        *mask.Segmentation
	// counts holds a compressed RLE's counts string (seg.CountsString is
	// then empty): decoded straight from the file's bytes.
	counts []byte
}

type scanner struct {
	b    []byte
	i    int
	what string // "results" or "ground truth", for errors
}

func (s *scanner) errf(format string, a ...any) error {
	return fmt.Errorf("eval: %s: byte %d: %s", s.what, s.i, fmt.Sprintf(format, a...))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		if s.i >= len(s.b) {
			return s.errf("unexpected end of input, want %q", c)
		}
		return s.errf("invalid character %q, want %q", s.b[s.i], c)
	}
	s.i++
	return nil
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.errf("invalid literal, want %s", lit)
	}
	s.i += len(lit)
	return nil
}

// str reads a string. Simple escapes are decoded here (RLE strings often
// hold '\\'); \u escapes go through encoding/json.
func (s *scanner) str() (string, error) {
	if err := s.expect('"'); err != nil {
		return "", err
	}
	start := s.i
	escaped, unicode := false, false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			raw := s.b[start : s.i-1]
			switch {
			case !escaped:
				return string(raw), nil
			case unicode:
				var out string
				if err := json.Unmarshal(s.b[start-1:s.i], &out); err != nil {
					return "", fmt.Errorf("eval: %s: byte %d: %v", s.what, start-1, err)
				}
				return out, nil
			}
			return unescape(raw), nil
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return "", s.errf("unterminated string")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				unicode = true
			default:
				return "", s.errf("invalid escape %q in string", s.b[s.i+1])
			}
			escaped = true
			s.i += 2
		case c < 0x20:
			return "", s.errf("control character in string")
		default:
			s.i++
		}
	}
	return "", s.errf("unterminated string")
}

// strBytes is str returning bytes: a slice of the input when the string
// has no escapes (the common case for RLE counts), else a decoded copy.
func (s *scanner) strBytes() ([]byte, error) {
	if s.peek() != '"' {
		_, err := s.str()
		return nil, err
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		if c == '"' {
			s.i = j + 1
			return s.b[start:j], nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	v, err := s.str()
	return []byte(v), err
}

// unescape decodes a string body whose escapes are all single-character
// ones (checked by str).
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default: // '"', '\\', '/'
			c = raw[i]
		}
		out = append(out, c)
	}
	return string(out)
}

// numberText scans a JSON number and returns its text.
func (s *scanner) numberText() ([]byte, error) {
	s.ws()
	start := s.i
	b := s.b
	digits := func() int {
		n := 0
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(b) && b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(b) && b[s.i] == '0':
		s.i++
	case digits() == 0:
		if s.i < len(b) {
			return nil, s.errf("invalid character %q, want a number", b[s.i])
		}
		return nil, s.errf("unexpected end of input, want a number")
	}
	if s.i < len(b) && b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return nil, s.errf("invalid number")
		}
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return nil, s.errf("invalid number")
		}
	}
	return b[start:s.i], nil
}

func (s *scanner) float() (float64, error) {
	t, err := s.numberText()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(string(t), 64)
	if err != nil { // out of range
		return 0, s.errf("number %s: %v", t, err)
	}
	return v, nil
}

// integer reads an id: a JSON integer, or a number with an integral value
// (Python's dicts treat 42.0 as 42).
func (s *scanner) integer() (int64, error) {
	t, err := s.numberText()
	if err != nil {
		return 0, err
	}
	if v, err := strconv.ParseInt(string(t), 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, s.errf("id %s is not an integer", t)
	}
	return int64(f), nil
}

// list calls elem for each element of a JSON array.
func (s *scanner) list(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.expect(']')
		}
	}
}

// object calls field for each key of a JSON object.
func (s *scanner) object(field func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		k, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.expect('}')
		}
	}
}

// null consumes a null if one comes next.
func (s *scanner) null() (bool, error) {
	if s.peek() == 'n' {
		return true, s.literal("null")
	}
	return false, nil
}

const maxDepth = 1000

// skip reads and discards any JSON value.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.errf("nesting deeper than %d", maxDepth)
	}
	switch c := s.peek(); {
	case c == '{':
		return s.object(func(string) error { return s.skip(depth + 1) })
	case c == '[':
		return s.list(func() error { return s.skip(depth + 1) })
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		_, err := s.numberText()
		return err
	}
}

func (s *scanner) floats() ([]float64, error) {
	out := make([]float64, 0, 8)
	err := s.list(func() error {
		v, err := s.float()
		out = append(out, v)
		return err
	})
	return out, err
}

// segmentation reads a polygon list or an RLE object; a compressed RLE's
// counts string is returned as bytes (see rawResult.counts).
func (s *scanner) segmentation() (*mask.Segmentation, []byte, error) {
	var counts []byte
	seg := &mask.Segmentation{}
	switch s.peek() {
	case '[':
		seg.Polygons = [][]float64{}
		err := s.list(func() error {
			p, err := s.floats()
			seg.Polygons = append(seg.Polygons, p)
			return err
		})
		return seg, nil, err
	case '{':
		seg.IsRLE = true
		hasCounts := false
		err := s.object(func(k string) error {
			switch k {
			case "size":
				seg.Size = seg.Size[:0]
				return s.list(func() error {
					v, err := s.integer()
					if err == nil && (v < 0 || v > math.MaxInt32) {
						err = s.errf("segmentation size %d", v)
					}
					seg.Size = append(seg.Size, int(v))
					return err
				})
			case "counts":
				hasCounts = true
				if s.peek() == '"' {
					var err error
					seg.Counts = nil
					counts, err = s.strBytes()
					if counts == nil {
						counts = []byte{}
					}
					return err
				}
				counts = nil
				seg.Counts, seg.CountsString = []uint32{}, ""
				return s.list(func() error {
					v, err := s.integer()
					if err == nil && (v < 0 || v > math.MaxUint32) {
						err = s.errf("RLE count %d", v)
					}
					seg.Counts = append(seg.Counts, uint32(v))
					return err
				})
			}
			return s.skip(1)
		})
		if err == nil && (!hasCounts || len(seg.Size) != 2) {
			err = s.errf("segmentation RLE needs size [height, width] and counts")
		}
		return seg, counts, err
	}
	return nil, nil, s.errf("segmentation must be a list of polygons or an RLE object")
}

// result reads one element of the results list.
func (s *scanner) result(r *rawResult) error {
	return s.object(func(k string) error {
		var err error
		switch k {
		case "image_id":
			r.imageID, err = s.integer()
			r.hasImage = true
		case "category_id":
			r.catID, err = s.integer()
			r.hasCat = true
		case "score":
			r.score, err = s.float()
			r.hasScore = true
		case "bbox":
			var isNull bool
			if isNull, err = s.null(); err == nil && !isNull {
				r.bbox, err = s.floats()
			} else {
				r.bbox = nil
			}
		case "segmentation":
			var isNull bool
			if isNull, err = s.null(); err == nil && !isNull {
				r.seg, r.counts, err = s.segmentation()
			} else {
				r.seg, r.counts = nil, nil
			}
		default:
			err = s.skip(1)
		}
		return err
	})
}

// scanResults parses a whole results file.
func scanResults(b []byte) ([]rawResult, error) {
	s := &scanner{b: b, what: "results"}
	if s.peek() != '[' {
		return nil, fmt.Errorf("eval: results must be a JSON list of objects")
	}
	out := make([]rawResult, 0, min(len(b)/100, 1024))
	err := s.list(func() error {
		if s.peek() != '{' {
			return s.errf("result %d is not an object", len(out))
		}
		out = append(out, rawResult{})
		if err := s.result(&out[len(out)-1]); err != nil {
			return fmt.Errorf("%w (in result %d)", err, len(out)-1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.peek() != 0 {
		return nil, s.errf("invalid character %q after the results list", s.b[s.i])
	}
	return out, nil
}
