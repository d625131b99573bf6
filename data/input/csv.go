package input

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"

	"phusong/data"
)

// csvInput is a CSV input opened by openCSV: the header read, the records next.
type csvInput struct {
	cr     *csv.Reader
	header []string
	sep    rune   // ',', ';' or '\t'
	what   string // "station", "site id" …: names the input in reading errors
	err    error  // the reading error that ended records
}

// utf8BOM is the UTF-8 byte-order mark, which spreadsheet programs put before "CSV UTF-8".
const utf8BOM = "\xEF\xBB\xBF"

// sniffBytes is how much of the input sniffCSV looks at (the header line).
const sniffBytes = 4096

// openCSV is how every CSV reader starts: it skips a UTF-8 byte-order mark, picks the
// separator and checks the line ends (sniffCSV), and reads the header record. Fields are
// separated by the separator, quoted with '"'; rows may have any number of fields (the reader
// checks); lines end in LF or CRLF, and CR-only line ends are refused (encoding/csv would read
// the whole file as one header line). what names the input in reading errors. An empty
// input, CR-only line ends or a CSV syntax error in the header give data.ParseErrors naming
// line 1; a reading error is returned wrapped.
func openCSV(r io.Reader, what string) (*csvInput, error) {
	br := bufio.NewReader(r)
	if p, _ := br.Peek(len(utf8BOM)); string(p) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	in := &csvInput{what: what}
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, in.readingError(err)
	}
	sep, crOnly := sniffCSV(head)
	if crOnly {
		return nil, data.ParseErrors{{Line: 1, Msg: "lines end in a lone CR (an old Mac format); " +
			"save the file with LF or CRLF line ends (CSV UTF-8 in spreadsheet programs)"}}
	}
	in.cr, in.sep = csv.NewReader(br), sep
	in.cr.Comma = sep
	in.cr.FieldsPerRecord = -1
	in.header, err = in.cr.Read()
	switch {
	case err == io.EOF:
		return nil, data.ParseErrors{{Line: 1, Msg: "empty input: no header row"}}
	case syntaxError(err) != nil:
		return nil, data.ParseErrors{syntaxError(err)}
	case err != nil:
		return nil, in.readingError(err)
	}
	return in, nil
}

// sniffCSV reads the first line of head, outside quotes: sep is ',', ';' or '\t', whichever
// occurs most often (',' on a tie); crOnly is set when the line ends in a CR that no LF
// follows. A line longer than head is judged on head.
func sniffCSV(head []byte) (sep rune, crOnly bool) {
	counts := map[byte]int{}
	quoted := false
scan:
	for i, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			break scan
		case c == '\r':
			crOnly = i+1 < len(head) && head[i+1] != '\n'
			break scan
		default:
			counts[c]++
		}
	}
	sep = ','
	for _, c := range []rune{';', '\t'} {
		if counts[byte(c)] > counts[byte(sep)] {
			sep = c
		}
	}
	return sep, crOnly
}

// records yields every record after the header with its 1-based line (the header is line 1),
// until the end of the input, errs is full, a CSV syntax error (recorded in errs with its
// line) or a reading error (then returned by Err).
func (in *csvInput) records(errs *data.ErrorList) iter.Seq2[int, []string] {
	return func(yield func(int, []string) bool) {
		for !errs.Full {
			rec, err := in.cr.Read()
			switch pe := syntaxError(err); {
			case err == io.EOF:
				return
			case pe != nil:
				errs.Record(pe)
				return
			case err != nil:
				in.err = in.readingError(err)
				return
			}
			line, _ := in.cr.FieldPos(0)
			if !yield(line, rec) {
				return
			}
		}
	}
}

// Err is the reading error that ended records, or nil.
func (in *csvInput) Err() error { return in.err }

// syntaxError is err as a ParseError naming its line when it is a CSV syntax error, else nil.
func syntaxError(err error) *data.ParseError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &data.ParseError{Line: pe.Line, Msg: "CSV syntax: " + pe.Err.Error()}
	}
	return nil
}

// readingError wraps an error of the underlying reader.
func (in *csvInput) readingError(err error) error {
	return fmt.Errorf("data: reading %s CSV: %w", in.what, err)
}
