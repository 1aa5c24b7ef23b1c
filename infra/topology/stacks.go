package topology

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// How the cloud splits into deployable stacks: one platform stack (the bus,
// the HTTP API, the authorizer, the secrets, the alarm topic and the tables
// of contract.PlatformDomain) and one stack per domain (its functions, routes,
// rules, schedules and own tables), so a domain is deployed, diffed and rolled
// back on its own. The local cloud ignores all of this: it runs one cloud.

// Platform is the platform stack's name among the domains'.
const Platform = contract.PlatformDomain

// Gateway names the stack that holds the HTTP API's stage: API Gateway takes
// per-route throttles only for routes that exist, so the stage is deployed
// after the domains that declare them (see infra/stack).
const Gateway = "gateway"

// StackOf is the stack a function is built in: the platform's for the
// authorizer (every domain's routes use it) and for a function of the
// platform domain, else its domain's.
func (c Cloud) StackOf(f Function) string {
	if f.Name == c.Authorizer || f.Domain == Platform {
		return Platform
	}
	return f.Domain
}

// Domains lists every domain that gets a stack — the domains of the
// functions and tables, not the platform — in deploy order: a domain comes
// after the domains it needs (DomainNeeds), then by name.
func (c Cloud) Domains() []string {
	order, _ := c.domainOrder()
	return order
}

// DomainNeeds lists the other domains whose resources a stack reads: the
// owners of the tables its functions are granted, and for an operator every
// domain with an asynchronous function. The platform needs no domain, and a
// domain needs the platform always (not listed).
func (c Cloud) DomainNeeds(domain string) []string {
	owner := map[string]string{}
	for _, t := range c.Tables {
		owner[t.Name] = t.Domain
	}
	needs := map[string]bool{}
	for _, f := range c.Functions {
		if c.StackOf(f) != domain {
			continue
		}
		for _, g := range f.Grants {
			needs[owner[g.Table]] = true
		}
		if f.Operator {
			for _, other := range c.Functions {
				if other.Async() {
					needs[c.StackOf(other)] = true
				}
			}
		}
	}
	delete(needs, domain)
	delete(needs, Platform)
	delete(needs, "")
	out := make([]string, 0, len(needs))
	for d := range needs {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Tables of a stack: those its domain owns.
func (c Cloud) TablesOf(domain string) []Table {
	var out []Table
	for _, t := range c.Tables {
		if t.Domain == domain {
			out = append(out, t)
		}
	}
	return out
}

// FunctionsOf lists the functions built in a stack.
func (c Cloud) FunctionsOf(domain string) []Function {
	var out []Function
	for _, f := range c.Functions {
		if c.StackOf(f) == domain {
			out = append(out, f)
		}
	}
	return out
}

// domainOrder sorts the domains so that each comes after those it needs; it
// reports the domains caught in a cycle.
func (c Cloud) domainOrder() ([]string, []string) {
	set := map[string]bool{}
	for _, f := range c.Functions {
		if d := c.StackOf(f); d != Platform {
			set[d] = true
		}
	}
	for _, t := range c.Tables {
		if t.Domain != Platform && t.Domain != "" {
			set[t.Domain] = true
		}
	}
	var left []string
	for d := range set {
		left = append(left, d)
	}
	sort.Strings(left)
	var order []string
	placed := map[string]bool{}
	for len(left) > 0 {
		var next []string
		progressed := false
		for _, d := range left {
			ready := true
			for _, n := range c.DomainNeeds(d) {
				if !placed[n] && set[n] {
					ready = false
				}
			}
			if ready {
				order = append(order, d)
				placed[d] = true
				progressed = true
			} else {
				next = append(next, d)
			}
		}
		if !progressed {
			return order, next
		}
		left = next
	}
	return order, nil
}

// checkStacks is Validate's part for the stacks: every table names its
// owner, the platform reads only platform tables (domains deploy after it),
// no two domains need each other, and no domain takes a stack's reserved name.
func (c Cloud) checkStacks(fail func(string, ...any)) {
	platformTable := map[string]bool{}
	for _, t := range c.Tables {
		if t.Domain != Platform && !nameRe.MatchString(t.Domain) {
			fail("table %q: domain %q must name the domain that owns it (its stack), or %q", t.Name, t.Domain, Platform)
		}
		if t.Domain == Gateway {
			fail("table %q: %q is the name of the API stage's stack, not a domain", t.Name, Gateway)
		}
		platformTable[t.Name] = t.Domain == Platform
	}
	for _, f := range c.Functions {
		if f.Domain == Gateway {
			fail("function %q: %q is the name of the API stage's stack, not a domain", f.Name, Gateway)
		}
		if c.StackOf(f) != Platform {
			continue
		}
		if f.Operator {
			fail("function %q is built in the platform stack, so it cannot be an operator: it would need every domain's "+
				"functions, and every domain deploys after the platform", f.Name)
		}
		for _, g := range f.Grants {
			if !platformTable[g.Table] {
				fail("function %q is built in the platform stack, so it may only be granted platform tables, not %q: "+
					"every domain deploys after the platform", f.Name, g.Table)
			}
		}
	}
	if _, cycle := c.domainOrder(); len(cycle) > 0 {
		var needs []string
		for _, d := range cycle {
			needs = append(needs, fmt.Sprintf("%s needs %s", d, strings.Join(slices.DeleteFunc(c.DomainNeeds(d),
				func(n string) bool { return !slices.Contains(cycle, n) }), ", ")))
		}
		fail("domains need each other's tables or functions, so no stack can deploy first: %s", strings.Join(needs, "; "))
	}
}
