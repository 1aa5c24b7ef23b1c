package topology

import (
	"slices"
	"strings"
	"testing"
)

func TestEveryDomainIsAStackAfterTheDomainsItReads(t *testing.T) {
	c := Kiosk()
	domains := c.Domains()
	for _, d := range []string{"article", "feed", "health", "tracking", "user", "console"} {
		if !slices.Contains(domains, d) {
			t.Errorf("domain %s has no stack: %v", d, domains)
		}
	}
	for i, d := range domains {
		for _, need := range c.DomainNeeds(d) {
			if !slices.Contains(domains[:i], need) {
				t.Errorf("%s needs %s, which does not come before it in %v", d, need, domains)
			}
		}
	}
	// Every function and table lands in a stack: the platform's or its domain's.
	stacks := append([]string{Platform}, domains...)
	for _, f := range c.Functions {
		if !slices.Contains(stacks, c.StackOf(f)) {
			t.Errorf("function %s is in no stack (%q)", f.Name, c.StackOf(f))
		}
	}
	for _, tb := range c.Tables {
		if !slices.Contains(stacks, tb.Domain) {
			t.Errorf("table %s is in no stack (%q)", tb.Name, tb.Domain)
		}
	}
	// The console reads the articles and events tables, and its operator
	// reaches every domain's batches and consumers.
	if needs := c.DomainNeeds("console"); !slices.Equal(needs, []string{"article", "feed", "health", "tracking", "user"}) {
		t.Errorf("the console needs %v", needs)
	}
	for _, d := range []string{"article", "feed", "health", "tracking", "user"} {
		if needs := c.DomainNeeds(d); len(needs) != 0 {
			t.Errorf("%s needs %v, want only the platform", d, needs)
		}
	}
	if f, _ := c.Function(c.Authorizer); c.StackOf(f) != Platform {
		t.Errorf("the authorizer is built in %q, want the platform: every domain's routes use it", c.StackOf(f))
	}
	var platform []string
	for _, tb := range c.TablesOf(Platform) {
		platform = append(platform, tb.Name)
	}
	if want := []string{"sessions", "runs", "idempotency", "limits", "console"}; !slices.Equal(platform, want) {
		t.Errorf("platform tables = %v, want %v", platform, want)
	}
}

// TestAFunctionOfThePlatformDomainIsBuiltInThePlatform: a function may join
// the platform stack by its domain, as the authorizer does by its role.
func TestAFunctionOfThePlatformDomainIsBuiltInThePlatform(t *testing.T) {
	c := Kiosk()
	f := c.Functions[0]
	f.Domain = Platform
	if c.StackOf(f) != Platform || c.StackOf(c.Functions[0]) != "health" {
		t.Errorf("StackOf = %q / %q", c.StackOf(f), c.StackOf(c.Functions[0]))
	}
}

func TestValidateRejectsTopologiesThatCannotDeployAsStacks(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(c *Cloud)
		want   string
	}{
		{"a table nobody owns", func(c *Cloud) { c.Tables[0].Domain = "" }, `table "health": domain "" must name the domain that owns it`},
		{"a table owned by the gateway stack's name", func(c *Cloud) { c.Tables[0].Domain = Gateway }, `table "health": "gateway" is the name of the API stage's stack`},
		{"a function in the gateway stack's name", func(c *Cloud) { c.Functions[0].Domain = Gateway }, `function "health-api": "gateway" is the name`},
		{"the authorizer reading a domain's table", func(c *Cloud) {
			for i := range c.Functions {
				if c.Functions[i].Name == c.Authorizer {
					c.Functions[i].Grants = append(c.Functions[i].Grants, Grant{"users", Read})
				}
			}
		}, `function "authorizer" is built in the platform stack, so it may only be granted platform tables, not "users"`},
		{"an operator in the platform stack", func(c *Cloud) {
			for i := range c.Functions {
				if c.Functions[i].Name == "admin-ops" {
					c.Functions[i].Domain = Platform
				}
			}
		}, `function "admin-ops" is built in the platform stack, so it cannot be an operator`},
		{"two domains reading each other's tables", func(c *Cloud) {
			for i := range c.Functions {
				switch c.Functions[i].Name {
				case "health-api":
					c.Functions[i].Grants = append(c.Functions[i].Grants, Grant{"feed", Read})
				case "feed-api":
					c.Functions[i].Grants = append(c.Functions[i].Grants, Grant{"health", Read})
				}
			}
		}, "no stack can deploy first: console needs feed, health; feed needs health; health needs feed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Kiosk()
			c.Tables = slices.Clone(c.Tables)
			tc.break_(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
