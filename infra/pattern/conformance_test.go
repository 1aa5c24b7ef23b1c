package pattern

import (
	"strings"
	"testing"
)

// The conformance table: what EventBridge's content filters do, written from
// AWS's documentation and the behaviour of event-ruler, the matcher it runs.
// Each case is a pattern, an event and whether EventBridge delivers the event.

// order is a made-up event used by most cases.
const order = `{"source":"shop.orders","detail-type":"Order Placed","detail":{
"id":"o-7","state":"PAID","total":129.5,"count":3,"region":"eu-west-1","customer":null,"note":"",
"client":{"ip":"10.0.3.7","ip6":"2001:db8::42","agent":"Kiosk/2.1 (linux)"},
"path":"/img/cat*.png","tags":["gift","express"],"empty":[],
"items":[{"sku":"A1","qty":1,"kind":"book"},{"sku":"B2","qty":5,"kind":"pen"}]}}`

func TestConformance(t *testing.T) {
	cases := []struct {
		name, pattern, event string
		want                 bool
	}{
		// exact values
		{"an exact string matches the same string", `{"detail":{"state":["PAID"]}}`, order, true},
		{"an exact string is case sensitive", `{"detail":{"state":["paid"]}}`, order, false},
		{"an exact number matches the same number written differently", `{"detail":{"total":[1.295e2]}}`, order, true},
		{"an exact number does not match its string form", `{"detail":{"id":[7]}}`, `{"detail":{"id":"7"}}`, false},
		{"a string does not match a number with the same digits", `{"detail":{"count":["3"]}}`, order, false},
		{"null matches a null value", `{"detail":{"customer":[null]}}`, order, true},
		{"null does not match a missing field", `{"detail":{"nobody":[null]}}`, order, false},
		{"an empty string matches an empty string", `{"detail":{"note":[""]}}`, order, true},
		{"an empty string does not match null", `{"detail":{"customer":[""]}}`, order, false},
		{"true matches true but not the string true", `{"a":[true]}`, `{"a":"true"}`, false},
		{"exactly matches a string like a plain value", `{"detail":{"state":[{"exactly":"PAID"}]}}`, order, true},
		{"any value of the list may match", `{"detail":{"state":["NEW","PAID"]}}`, order, true},
		{"every field must match", `{"source":["shop.orders"],"detail":{"state":["NEW"]}}`, order, false},
		// prefix, suffix, case
		{"a prefix matches the start of a string", `{"detail":{"region":[{"prefix":"eu-"}]}}`, order, true},
		{"a prefix does not match in the middle", `{"detail":{"region":[{"prefix":"west"}]}}`, order, false},
		{"a prefix never matches a number", `{"detail":{"count":[{"prefix":"3"}]}}`, order, false},
		{"a suffix matches the end of a string", `{"detail":{"region":[{"suffix":"-1"}]}}`, order, true},
		{"equals-ignore-case ignores case", `{"detail":{"state":[{"equals-ignore-case":"paid"}]}}`, order, true},
		{"equals-ignore-case still needs the whole string", `{"detail":{"state":[{"equals-ignore-case":"pai"}]}}`, order, false},
		{"a prefix may ignore case", `{"detail":{"region":[{"prefix":{"equals-ignore-case":"EU-"}}]}}`, order, true},
		{"a suffix may ignore case", `{"detail-type":[{"suffix":{"equals-ignore-case":"PLACED"}}]}`, order, true},
		// wildcard
		{"a wildcard matches any run of characters", `{"detail":{"client":{"agent":[{"wildcard":"Kiosk/*(*)"}]}}}`, order, true},
		{"a wildcard star may match nothing", `{"detail":{"region":[{"wildcard":"eu-*west-1"}]}}`, order, true},
		{"a wildcard without a star is an exact match", `{"detail":{"region":[{"wildcard":"eu-west"}]}}`, order, false},
		{"an escaped star is a literal star", `{"detail":{"path":[{"wildcard":"/img/cat\\*.*"}]}}`, order, true},
		{"an escaped star does not match other characters", `{"a":[{"wildcard":"cat\\*"}]}`, `{"a":"cats"}`, false},
		{"an escaped backslash is a literal backslash", `{"a":[{"wildcard":"C:\\\\*"}]}`, `{"a":"C:\\temp"}`, true},
		// anything-but
		{"anything-but a string lets other strings through", `{"detail":{"state":[{"anything-but":"NEW"}]}}`, order, true},
		{"anything-but a string refuses that string", `{"detail":{"state":[{"anything-but":"PAID"}]}}`, order, false},
		{"anything-but a list refuses every listed value", `{"detail":{"state":[{"anything-but":["NEW","PAID"]}]}}`, order, false},
		{"anything-but numbers compares by value", `{"detail":{"count":[{"anything-but":[3.0,4]}]}}`, order, false},
		{"anything-but a string lets a number through", `{"detail":{"count":[{"anything-but":"PAID"}]}}`, order, true},
		{"anything-but needs the field to be there", `{"detail":{"nobody":[{"anything-but":"x"}]}}`, order, false},
		{"anything-but a prefix refuses strings with it", `{"detail":{"region":[{"anything-but":{"prefix":"eu-"}}]}}`, order, false},
		{"anything-but a list of prefixes refuses any of them", `{"detail":{"region":[{"anything-but":{"prefix":["us-","eu-"]}}]}}`, order, false},
		{"anything-but a suffix lets others through", `{"detail":{"region":[{"anything-but":{"suffix":"-2"}}]}}`, order, true},
		{"anything-but a prefix never matches a number", `{"detail":{"count":[{"anything-but":{"prefix":"x"}}]}}`, order, false},
		{"anything-but equals-ignore-case refuses any case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["new","paid"]}}]}}`, order, false},
		{"anything-but a wildcard refuses what it matches", `{"detail":{"region":[{"anything-but":{"wildcard":"*west*"}}]}}`, order, false},
		{"anything-but a wildcard lets others through", `{"detail":{"region":[{"anything-but":{"wildcard":"us-*"}}]}}`, order, true},
		// numeric
		{"a numeric comparison matches", `{"detail":{"total":[{"numeric":[">",100]}]}}`, order, true},
		{"a numeric range is open where asked", `{"detail":{"count":[{"numeric":[">",3,"<=",10]}]}}`, order, false},
		{"a numeric range is closed where asked", `{"detail":{"count":[{"numeric":[">=",3,"<",4]}]}}`, order, true},
		{"numeric equality compares values", `{"detail":{"count":[{"numeric":["=",3e0]}]}}`, order, true},
		{"numeric never matches a string", `{"detail":{"id":[{"numeric":[">",0]}]}}`, `{"detail":{"id":"7"}}`, false},
		{"numeric handles small fractions", `{"x":[{"numeric":[">",1e-7,"<",3e-7]}]}`, `{"x":2e-7}`, true},
		{"numeric handles numbers beyond five billion", `{"x":[{"numeric":[">",5e9]}]}`, `{"x":6e12}`, true},
		// exists
		{"exists true finds a value", `{"detail":{"state":[{"exists":true}]}}`, order, true},
		{"exists true finds a null value", `{"detail":{"customer":[{"exists":true}]}}`, order, true},
		{"exists true does not see an object", `{"detail":{"client":[{"exists":true}]}}`, order, false},
		{"exists true does not see an empty array", `{"detail":{"empty":[{"exists":true}]}}`, order, false},
		{"exists false holds for a missing field", `{"detail":{"nobody":[{"exists":false}]}}`, order, true},
		{"exists false holds under a missing parent", `{"detail":{"nobody":{"name":[{"exists":false}]}}}`, order, true},
		{"exists false fails for a present field", `{"detail":{"state":[{"exists":false}]}}`, order, false},
		{"exists false or a value accepts either", `{"detail":{"state":[{"exists":false},"PAID"]}}`, order, true},
		// cidr
		{"a v4 cidr matches an address inside", `{"detail":{"client":{"ip":[{"cidr":"10.0.0.0/16"}]}}}`, order, true},
		{"a v4 cidr refuses an address outside", `{"detail":{"client":{"ip":[{"cidr":"10.0.4.0/24"}]}}}`, order, false},
		{"a cidr with host bits set means its network", `{"detail":{"client":{"ip":[{"cidr":"10.0.3.200/24"}]}}}`, order, true},
		{"a v6 cidr matches an address inside", `{"detail":{"client":{"ip6":[{"cidr":"2001:db8::/32"}]}}}`, order, true},
		{"a v6 cidr refuses a v4 address", `{"detail":{"client":{"ip":[{"cidr":"2001:db8::/32"}]}}}`, order, false},
		{"a cidr never matches text that is not an address", `{"detail":{"region":[{"cidr":"0.0.0.0/0"}]}}`, order, false},
		// $or
		{"$or matches when one branch does", `{"source":["shop.orders"],"$or":[{"detail":{"state":["NEW"]}},{"detail":{"count":[3]}}]}`, order, true},
		{"$or fails when no branch does", `{"$or":[{"detail":{"state":["NEW"]}},{"detail":{"count":[4]}}]}`, order, false},
		{"$or may sit inside a nested field", `{"detail":{"$or":[{"state":["NEW"]},{"region":[{"prefix":"eu"}]}]}}`, order, true},
		{"$or with one element is a field named $or", `{"$or":[{"prefix":"a"}]}`, `{"$or":"abc"}`, true},
		{"$or of content filters is a field named $or", `{"$or":[{"prefix":"a"},{"suffix":"z"}]}`, `{"$or":"xyz"}`, true},
		// arrays
		{"a value matches when any element of an array does", `{"detail":{"tags":["express"]}}`, order, true},
		{"a nested field matches inside an array of objects", `{"detail":{"items":{"sku":["B2"]}}}`, order, true},
		{"fields of one array element must come from the same element", `{"detail":{"items":{"sku":["A1"],"qty":[5]}}}`, order, false},
		{"fields of one element match together", `{"detail":{"items":{"sku":["B2"],"qty":[{"numeric":[">",1]}],"kind":["pen"]}}}`, order, true},
		{"an array in a pattern is matched against every element", `{"a":{"b":["x"]}}`, `{"a":[[{"b":"y"}],[{"b":"x"}]]}`, true},
		{"exists false looks only at the chosen element", `{"items":{"sku":["B2"],"gift":[{"exists":false}]}}`, `{"items":[{"sku":"A1"},{"sku":"B2","gift":true}]}`, false},
		{"exists false holds in an element without the field", `{"items":{"sku":["A1"],"gift":[{"exists":false}]}}`, `{"items":[{"sku":"A1"},{"sku":"B2","gift":true}]}`, true},
		// paths
		{"a dotted key in an event is read as nested", `{"detail":{"state":["PAID"]}}`, `{"detail.state":"PAID"}`, true},
		{"a dotted key in a pattern is read as nested", `{"detail.state":["PAID"]}`, order, true},
		{"a nested pattern does not match a scalar", `{"detail":{"state":{"x":["y"]}}}`, order, false},
		{"a field repeated through $or accepts either branch's values", `{"a":["x"],"$or":[{"a":["y"]},{"b":["z"]}]}`, `{"a":"y"}`, true},
		{"an event that is not an object matches nothing", `{"a":[{"exists":false}]}`, `[1]`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.pattern))
			if err != nil {
				t.Fatalf("Parse(%s): %v", c.pattern, err)
			}
			if got := p.Match([]byte(c.event)); got != c.want {
				t.Errorf("Match = %v, want %v\npattern %s\nevent %s", got, c.want, c.pattern, c.event)
			}
		})
	}
}

// TestConformanceRefuses lists patterns EventBridge refuses, each with the
// reason it gives (event-ruler's message, which the error must contain).
func TestConformanceRefuses(t *testing.T) {
	cases := []struct{ name, pattern, reason string }{
		{"a pattern that is not an object", `["a"]`, "Filter is not an object"},
		{"a filter with two keys", `{"a":[{"prefix":"x","suffix":"y"}]}`, "Only one key allowed in match expression"},
		{"an unknown filter", `{"a":[{"regex":"x"}]}`, "Unrecognized match type regex"},
		{"a prefix that is not a string", `{"a":[{"prefix":7}]}`, "prefix match pattern must be a string"},
		{"a suffix that is a list", `{"a":[{"suffix":["x"]}]}`, "suffix match pattern must be a string"},
		{"a prefix with an unknown option", `{"a":[{"prefix":{"ignore":"x"}}]}`, "Unsupported prefix pattern: ignore"},
		{"equals-ignore-case on a number", `{"a":[{"equals-ignore-case":1}]}`, "equals-ignore-case match pattern must be a string"},
		{"exactly on a number", `{"a":[{"exactly":1}]}`, "exact match pattern must be a string"},
		{"exists with a string", `{"a":[{"exists":"yes"}]}`, "exists match pattern must be either true or false."},
		{"a wildcard with two stars together", `{"a":[{"wildcard":"ab**c"}]}`, "Consecutive wildcard characters at pos 3"},
		{"a wildcard with an unknown escape", `{"a":[{"wildcard":"a\\b"}]}`, "Invalid escape"},
		{"a wildcard that is not a string", `{"a":[{"wildcard":1}]}`, "wildcard match pattern must be a string"},
		{"a cidr without a slash", `{"a":[{"cidr":"10.0.0.1"}]}`, "Malformed CIDR, one '/' required"},
		{"a cidr wider than its address", `{"a":[{"cidr":"10.0.0.0/33"}]}`, "Malformed CIDR"},
		{"an anything-but list mixing strings and numbers", `{"a":[{"anything-but":["x",1]}]}`, "mixed type is not supported"},
		{"an anything-but list holding true", `{"a":[{"anything-but":[true]}]}`, "null|boolean is not supported"},
		{"anything-but an empty prefix", `{"a":[{"anything-but":{"prefix":""}}]}`, "Null prefix/suffix not allowed"},
		{"anything-but an empty suffix", `{"a":[{"anything-but":{"suffix":""}}]}`, "Null prefix/suffix not allowed"},
		{"anything-but a prefix list with an empty prefix", `{"a":[{"anything-but":{"prefix":["x",""]}}]}`, "prefix/suffix match pattern must be a string"},
		{"anything-but numbers ignoring case", `{"a":[{"anything-but":{"equals-ignore-case":[1]}}]}`, "number|start|null|boolean is not supported"},
		{"anything-but a bad wildcard", `{"a":[{"anything-but":{"wildcard":"x**"}}]}`, "Unsupported anything-but pattern: wildcard"},
		{"anything-but an unknown filter", `{"a":[{"anything-but":{"regex":"x"}}]}`, "Unsupported anything-but pattern: regex"},
		{"numeric without an operand", `{"a":[{"numeric":["<"]}]}`, "Value of < must be numeric"},
		{"numeric equality with a string", `{"a":[{"numeric":["=","1"]}]}`, "Value of equals must be numeric"},
		{"numeric with an unknown operator", `{"a":[{"numeric":["!=",1]}]}`, "Unrecognized numeric range operator: !="},
		{"numeric with the upper bound first", `{"a":[{"numeric":["<",9,">",1]}]}`, "Too many elements in numeric expression"},
		{"a range whose bottom is above its top", `{"a":[{"numeric":[">",9,"<",1]}]}`, "Bottom must be less than top"},
		{"a range with no room between its bounds", `{"a":[{"numeric":[">=",4,"<=",4]}]}`, "Bottom must be less than top"},
		{"a range with a fifth term", `{"a":[{"numeric":[">",1,"<",9,1]}]}`, "Too many terms in numeric range expression"},
		{"a number too big to compare", `{"a":[{"numeric":[">",1e400]}]}`, "Cannot compare number : 1e400"},
		{"a number too small to tell from zero", `{"a":[{"numeric":["<",3e-400]}]}`, "Cannot compare number : 3e-400"},
		{"$or of one pattern, read as a field", `{"$or":[{"source":["x"]}]}`, "Unrecognized match type source"},
		{"a scalar where a list belongs", `{"source":"x"}`, "must be arrays or objects"},
		{"an empty list", `{"source":[]}`, "must not be empty"},
		{"an empty pattern", `{}`, "must not be empty"},
		{"an empty nested object", `{"detail":{}}`, "must not be empty"},
		{"a list inside a list", `{"a":[["x"]]}`, "Match value must be String, number, true, false, or null"},
		{"broken JSON", `{"a":["x"}`, "not valid JSON"},
		{"trailing data", `{"a":["x"]} {}`, "trailing data"},
		{"trailing text", `{"a":["x"]} x`, "trailing data"},
	}
	for _, c := range cases {
		t.Run("it refuses "+c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.pattern))
			if err == nil {
				t.Fatalf("Parse(%s) succeeded, want %q", c.pattern, c.reason)
			}
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("Parse(%s) = %q, want it to say %q", c.pattern, err, c.reason)
			}
		})
	}
}
