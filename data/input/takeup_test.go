package input

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"phusong/data"
)

func TestReadTakeUpCSV(t *testing.T) {
	for _, in := range []string{
		"\ufeffname,Code,take_up_households\nTrà Vinh,29242, 5000\nLong Đức,29263,0\n",
		// Before openCSV the take-up reader read only commas: these were one column each.
		"name;Code;take_up_households\r\nTrà Vinh;29242; 5000\r\nLong Đức;29263;0\r\n",
		"name\tCode\ttake_up_households\nTrà Vinh\t29242\t 5000\nLong Đức\t29263\t0\n",
		// The columns in any order, the households first.
		"households,code\n5000,29242\n0,29263\n",
	} {
		got, err := ReadTakeUpCSV(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if want := map[string]float64{"29242": 5000, "29263": 0}; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %v, want %v", in, got, want)
		}
	}
	bad := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{"line 1: empty input: no header row"}},
		{"no columns", "a,b\n", []string{"line 1: code: column missing", "line 1: households: column missing"}},
		{"bad rows", "code,households\n,1\nA,x\nA,2\nA,3\nB,-1\nC,NaN\n", []string{
			"line 2: code: is empty", `line 3: households: "x" is not a number`, `line 5: code: "A" repeats line 4`,
			`line 6: households: "-1" is negative`, `line 7: households: "NaN" is not a number`}},
		// One conversion of CSV syntax errors (openCSV) for every reader: the position is
		// the line, no longer repeated as "parse error on line 2, column 6:" in the message.
		{"syntax", "code,households\nA,\"1\n", []string{"line 2: CSV syntax: extraneous or missing \" in quoted-field"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadTakeUpCSV(strings.NewReader(c.in))
			var pe data.ParseErrors
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not ParseErrors", err)
			}
			var got []string
			for _, e := range pe {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("errors\n got %q\nwant %q", got, c.want)
			}
		})
	}
}
