package fibre

import (
	"reflect"
	"strings"
	"testing"
)

func TestDefaultOperators(t *testing.T) {
	ops := DefaultOperators()
	var ids []string
	for _, o := range ops {
		ids = append(ids, o.ID)
	}
	want := []string{"viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile", "itelecom", "tvcable"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids %v", ids)
	}
	if ops[6].MNC != "" || !strings.Contains(ops[6].Name, "cable TV") {
		t.Errorf("cable operator %+v", ops[6])
	}
}
