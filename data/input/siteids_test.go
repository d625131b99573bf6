package input

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"phusong/data"
)

// keys are viettel's keys of ids.
func keys(ids ...string) []data.SiteKey {
	out := make([]data.SiteKey, len(ids))
	for i, id := range ids {
		out[i] = data.SiteKey{Carrier: "viettel", SiteID: id}
	}
	return out
}

// readSiteIDs reads in with ReadSiteIDsGeoJSON or ReadSiteIDsCSV.
func readSiteIDs(in string, geoJSON bool, carrier string) (*SiteIDLoadReport, error) {
	if geoJSON {
		return ReadSiteIDsGeoJSON(strings.NewReader(in), carrier, Limits{})
	}
	return ReadSiteIDsCSV(strings.NewReader(in), carrier, Limits{})
}

func TestReadSiteIDs(t *testing.T) {
	gj := func(props ...string) string {
		feats := make([]string, len(props))
		for i, p := range props {
			feats[i] = `{"type":"Feature","geometry":null,"properties":{` + p + `}}`
		}
		return fc(feats...)
	}
	cases := []struct {
		name, in string
		geoJSON  bool
		want     []data.SiteKey
		rows     int
	}{
		{"one column", "site_id\nA\nB\n", false, keys("A", "B"), 2},
		{"full station list, repeated ids", csvOf(row("site_id=A"), row("site_id=A", "azimuth_deg=120"), row("site_id=B")), false, keys("A", "B"), 3},
		{"BOM, semicolons, CRLF, alias", "\ufeffName;Site Code\r\nx;A\r\ny;Trạm 2\r\n", false, keys("A", "Trạm 2"), 2},
		// Before, the server's sniffing counted separators inside quotes: ';' won 2 to 1 here
		// and the header became one column without site_id.
		{"quoted separators", "site_id,\"a;b;c\"\nA,x\n", false, keys("A"), 1},
		{"tab", "cell\tsite_id\n1\tA\n", false, keys("A"), 1},
		{"GeoJSON", gj(`"site_id":"A"`, `"site_id":17,"tech":"4G"`, `"site_id":"A"`), true, keys("A", "17"), 3},
		{"GeoJSON alias", gj(`"SiteID":"A"`), true, keys("A"), 1},
		{"empty list", "site_id\n", false, keys(), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := readSiteIDs(c.in, c.geoJSON, "04")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rep.Keys, c.want) || rep.Rows != c.rows {
				t.Errorf("keys %v rows %d, want %v %d", rep.Keys, rep.Rows, c.want, c.rows)
			}
		})
	}
}

// TestReadSiteIDsBad lists bad lists with their exact errors. The delete-list reader used to
// trim ids and accept " A" as "A" and "a/b"; it now applies data.CheckSiteID as every reader does.
func TestReadSiteIDsBad(t *testing.T) {
	long := strings.Repeat("L", 101)
	cases := []struct {
		name, in string
		geoJSON  bool
		want     string
	}{
		{"padded", "site_id\nA\n A\n", false, `data: line 3: site_id: " A" has leading or trailing spaces`},
		{"blank", "site_id,x\n ,1\n", false, `data: line 2: site_id: " " has leading or trailing spaces`},
		{"empty", "site_id,x\n,1\n", false, `data: line 2: site_id: is empty`},
		{"slash", "site_id\nTV/1\n", false,
			`data: line 2: site_id: "TV/1" holds a '/', which cannot appear in the site's URL (/api/v1/sites/{carrier}/{site_id})`},
		{"long", "site_id\n" + long + "\n", false, `data: line 2: site_id: "` + long + `" is 101 bytes long; ids have at most 100`},
		{"control", "site_id\n\"A\x07\"\n", false, `data: line 2: site_id: "A\a" holds control characters`},
		{"bad UTF-8", "site_id\nA\xff\n", false, `data: line 2: site_id: "A\xff" is not valid UTF-8`},
		{"short row", "x,site_id\n1\n", false, `data: line 2: site_id: row has 1 fields, the header 2`},
		{"no column", "id\nA\n", false, `data: line 1: site_id: required column is missing`},
		{"two columns", "site,site_id\nA,A\n", false, `data: line 1: site_id: columns "site" and "site_id" both give site_id`},
		{"syntax", "site_id\nA\n\"B\n", false, "data: line 3: CSV syntax: extraneous or missing \" in quoted-field"},
		{"GeoJSON padded", fc(`{"properties":{"site_id":"A\t"}}`), true, `data: feature 1: site_id: "A\t" has leading or trailing spaces`},
		{"GeoJSON missing", fc(`{"properties":{"id":"A"}}`, `{"properties":{"site_id":null}}`), true,
			"data: 2 errors:\n\tfeature 1: site_id: missing (want a string or a number)\n\tfeature 2: site_id: missing (want a string or a number)"},
		{"GeoJSON object", fc(`{"properties":{"site_id":{"a":1}}}`), true, `data: feature 1: site_id: is not a number or text`},
		{"GeoJSON two", fc(`{"properties":{"site_id":"A","site":"B"}}`), true, `data: feature 1: site_id: 2 properties give site_id; give one`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := readSiteIDs(c.in, c.geoJSON, "viettel")
			if err == nil || err.Error() != c.want {
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
			if rep != nil || !errors.Is(err, data.ErrInvalidInput) {
				t.Errorf("report %v, error %v", rep, err)
			}
		})
	}
	if _, err := ReadSiteIDsCSV(strings.NewReader("site_id\nA\n"), "vnpt", Limits{}); err == nil ||
		err.Error() != `data: invalid input: carrier "vnpt" is not a known carrier id or MNC` {
		t.Errorf("unknown carrier: %v", err)
	}
}
