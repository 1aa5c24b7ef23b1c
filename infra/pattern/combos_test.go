package pattern

import (
	"fmt"
	"strings"
	"testing"
)

// TestManyArrayValuesDoNotMultiply: fields whose values sit in arrays of their
// own are constrained only by the arrays they share with other fields, so an
// event with many values per field is matched without trying every
// combination of them (n^k for k fields of n values).
func TestManyArrayValuesDoNotMultiply(t *testing.T) {
	const n, k = 40, 6
	var fields, pattern []string
	for i := 0; i < k; i++ {
		fields = append(fields, fmt.Sprintf(`"x%d":[%s]`, i, strings.TrimSuffix(strings.Repeat("1,", n), ",")))
		pattern = append(pattern, fmt.Sprintf(`"x%d":[1]`, i))
	}
	// The last field only matches in the second element, the others only in the first.
	event := fmt.Sprintf(`{"o":[{%s},{"z":[%s]}]}`, strings.Join(fields, ","), strings.TrimSuffix(strings.Repeat("1,", n), ","))
	p := MustParse(fmt.Sprintf(`{"o":{%s,"z":[1]}}`, strings.Join(pattern, ",")))
	if p.Match([]byte(event)) {
		t.Error("fields from two elements of one array matched together")
	}
}
