package input

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"phusong/data"
)

// TestSniffCSV covers the header sniffing: separators counted outside quotes, and CR-only line
// ends told from CRLF.
func TestSniffCSV(t *testing.T) {
	cases := []struct {
		head   string
		sep    rune
		crOnly bool
	}{
		{"a,b,c\n", ',', false},
		{"a;b;c\nx,y,z,w,v\n", ';', false},
		{"\"a;b;c\",d\n", ',', false},
		{"\"a\nb;c;d\",e\n", ',', false}, // a quoted line break does not end the header
		{"a\tb\tc", '\t', false},
		{"abc", ',', false},
		{"a;b\r\nc;d\r\n", ';', false},
		{"a;b\rc;d\r", ';', true},
		{"a;b\r", ';', false}, // the CR may be followed by an LF not yet read, or by the end
		{"\"a\rb\",c\n", ',', false},
	}
	for _, c := range cases {
		if sep, crOnly := sniffCSV([]byte(c.head)); sep != c.sep || crOnly != c.crOnly {
			t.Errorf("%q: got %q %v, want %q %v", c.head, sep, crOnly, c.sep, c.crOnly)
		}
	}
}

// csvReaders are every reader of a CSV input, reduced to their error.
func csvReaders() map[string]func(io.Reader) error {
	return map[string]func(io.Reader) error{
		"sites":    func(r io.Reader) error { _, err := ReadSitesCSV(r, siteOpts("")); return err },
		"take-up":  func(r io.Reader) error { _, err := ReadTakeUpCSV(r); return err },
		"site ids": func(r io.Reader) error { _, err := ReadSiteIDsCSV(r, "viettel", Limits{}); return err },
	}
}

// TestOpenCSVErrors checks that every CSV reader refuses the same inputs the same way (one
// opening, openCSV).
func TestOpenCSVErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		// Before openCSV the station reader read a CR-only file as one header line and the
		// server answered "the file holds no site (only a header?)".
		{"CR only", csvHeader + "\r" + row() + "\r",
			"data: line 1: lines end in a lone CR (an old Mac format); save the file with LF or CRLF line ends (CSV UTF-8 in spreadsheet programs)"},
		{"empty", "", "data: line 1: empty input: no header row"},
		{"only a BOM", "\ufeff", "data: line 1: empty input: no header row"},
		{"header syntax", "code,\"households\n", "data: line 1: CSV syntax: extraneous or missing \" in quoted-field"},
	}
	checkReaders(t, csvReaders(), cases)
}

// errReader fails after its text.
type errReader struct {
	text string
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.text == "" {
		return 0, r.err
	}
	n := copy(p, r.text)
	r.text = r.text[n:]
	return n, nil
}

// TestOpenCSVReadingError: an error of the underlying reader is returned wrapped (not as
// ParseErrors), whether it comes while sniffing the first 4096 bytes or in the rows after them.
func TestOpenCSVReadingError(t *testing.T) {
	boom := errors.New("boom")
	long := map[string]string{
		"sites":    csvHeader + "\n" + strings.Repeat(row()+"\n", 100),
		"take-up":  "code,households\n",
		"site ids": "site_id\n",
	}
	for i := range 1000 {
		long["take-up"] += fmt.Sprintf("%d,1\n", i)
		long["site ids"] += fmt.Sprintf("TV-%d\n", i)
	}
	for name, read := range csvReaders() {
		if len(long[name]) <= sniffBytes {
			t.Fatalf("%s: %d bytes", name, len(long[name]))
		}
		for _, text := range []string{"", long[name][:100], long[name]} {
			err := read(&errReader{text: text, err: boom})
			var pe data.ParseErrors
			if !errors.Is(err, boom) || errors.As(err, &pe) {
				t.Errorf("%s after %d bytes: %v", name, len(text), err)
			}
		}
	}
}
