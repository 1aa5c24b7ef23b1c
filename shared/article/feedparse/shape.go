package feedparse

import (
	"bytes"
	"slices"
	"strings"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
)

// Bounds on a document's shape, checked by one pass over the bytes before
// gofeed (shape): what gofeed costs grows with them, not with the bytes
// alone. Within the 4 MiB cap, 370,000 nested elements took parse-feed to
// 557 MB (852 MB warm), and 79,134 items with two unparseable dates each to
// 4 s here, about 14 s at 512 MB's share of a vCPU in AWS. Real feeds stay
// far inside the bounds:
//
//   - MaxDepth: an RSS item's media:group/media:content/media:thumbnail is
//     depth 6, an Atom entry's XHTML content a dozen more; 64 leaves room for
//     any markup a publisher nests inside its content.
//   - MaxDocumentItems: a feed carries its latest few dozen items, a
//     podcast's whole back catalogue a few thousand; parse-feed keeps the
//     newest feeddoc.MaxItems (100) anyway.
//   - MaxElements: elements and attributes, the nodes the parser builds. A
//     real feed spends over 40 bytes a node (a bare item of a title, a link, a
//     date and a GUID, about 250 bytes for 6), so a full 4 MiB one holds under
//     100,000; the worst documents these bounds admit peak at 210 MiB
//     (TestParseFeedsPeakOnTheWorstAdmittedDocuments), under 512 MB with
//     margin.
//   - MaxBase: xml:base along an element's path. gofeed resolves every
//     xml:base against its parent's and every href, src, uri and scheme
//     against the base in scope, keeping the resolved strings, so its cost is
//     the resolved base's length times the resolutions: a 1 MB base over 700
//     links took parse-feed past 1 GB. Real feeds carry one or two short
//     bases (WordPress one per <content>, about 60 bytes, and one on the
//     feed). The length is weighed as the resolved URL may grow: a byte a
//     URL escapes counts 9 (a UTF-8 byte escapes to 3; an entity, from its
//     '&', may expand to a 4-byte character, 12 escaped). A 1,024-byte base
//     over all the links
//     MaxBaseMarkup leaves it peaks at 76 MiB.
//   - MaxBaseMarkup: markup under an xml:base. With a base in scope, gofeed
//     parses an Atom text's HTML into a tree, resolves its links and renders
//     it again (without one, only an escaped html or xhtml text is parsed,
//     once, to strip a wrapping div; README: what the bounds do not cover,
//     HTML built to make the parser clone formatting elements): under a
//     one-byte base, 4 MiB of "<a>" took parse-feed to 474 MiB, of
//     "<a href>" under a 100-byte base to 630 MiB. Each '<' of a start tag — or "&lt", "&#",
//     which gofeed decodes into one; an end tag builds nothing but "</p>"
//     and "</br>" (buildsNode), and a 2 MB post of a results table once
//     weighed twice its rows and was refused — and each name of an
//     attribute gofeed resolves
//     (uriAttrs), wherever its letters stand in any case, inside a word of
//     text too ("during" holds "uri", tags), under a base weighs baseTag
//     plus the base's length along the path: 4 MiB of real WordPress
//     content, about 140,000 of them under 100 bytes of base, weighs 27 MiB;
//     the worst HTML the bound admits peaks at 185 MiB
//     (TestParseFeedsPeakOnTheWorstAdmittedDocuments).
const (
	MaxDepth         = 64
	MaxDocumentItems = 10_000
	MaxElements      = 150_000
	MaxBase          = 1024
	MaxBaseMarkup    = 48 << 20
)

// baseTag is what a tag under an xml:base weighs in MaxBaseMarkup beside
// its base's length: the HTML node gofeed builds for it, about as much
// memory as 100 bytes of base resolved.
const baseTag = 100

// shape refuses, with a classified error (too_complex), a document nested
// deeper than MaxDepth, holding more than MaxElements nodes or
// MaxDocumentItems items, or (XML) with more xml:base than MaxBase along a
// path or more markup under it than MaxBaseMarkup. In XML a node is an element or an attribute
// (comments, CDATA, processing instructions and the DOCTYPE skipped as
// encoding/xml skips them) and an item an <item> or <entry>; in a JSON Feed
// a node is an object or an array and an item an object in an array of the
// top-level object. It counts conservatively: never fewer nodes nor a
// shallower depth than the non-strict encoding/xml gofeed reads with (an end
// tag closes one element here, at least one there;
// FuzzShapeCountsNoLessThanTheParser). It allocates nothing for a document
// without control bytes: about 3 ms for 4 MiB (BenchmarkShape), 32 ms at
// worst, when all of it is text under an xml:base that tags reads
// (BenchmarkShapeOfTextUnderABase; the parse itself takes longer).
func shape(body []byte) *feeddoc.Error {
	var n shapeCounts
	// gofeed takes a document for JSON when its first byte past white space
	// and byte-order marks is '{' (DetectFeedType).
	if json := bytes.TrimLeft(body, " \t\r\n\xFE\xFF\x00\xEF\xBB\xBF"); len(json) > 0 && json[0] == '{' {
		n.depth, n.elements, n.items = jsonShape(json)
	} else {
		n = xmlShape(filterControls(body))
	}
	return n.err()
}

// shapeCounts are what the pass counts of a document, each against its
// bound: the deepest nesting (MaxDepth), the nodes (MaxElements), the items
// (MaxDocumentItems), and in XML the longest xml:base along an element's
// path (MaxBase: the weighed lengths of its own and its ancestors' xml:base
// values, xmlBase) and the weight of the markup under a base
// (MaxBaseMarkup).
type shapeCounts struct {
	depth, elements, items, base, markup int
	// recoded: an XML declaration the pass meets names another encoding
	// than UTF-8 (recodes), which would switch gofeed's decoder from there.
	recoded bool
}

// over is whether any count is past its bound.
func (n shapeCounts) over() bool {
	return n.err() != nil
}

// err is the refusal of the first count past its bound, nil if none is.
func (n shapeCounts) err() *feeddoc.Error {
	switch {
	case n.recoded:
		return feeddoc.Errorf(feeddoc.NotAFeed, "an XML declaration after the document's start, or one its decoding missed, names another encoding than UTF-8")
	case n.depth > MaxDepth:
		return feeddoc.Errorf(feeddoc.TooComplex, "elements nested more than %d deep, beyond any feed's", MaxDepth)
	case n.items > MaxDocumentItems:
		return feeddoc.Errorf(feeddoc.TooComplex, "more than %d items, beyond any feed's (a feed carries its latest)", MaxDocumentItems)
	case n.elements > MaxElements:
		return feeddoc.Errorf(feeddoc.TooComplex, "more than %d elements and attributes, beyond any feed's", MaxElements)
	case n.base > MaxBase:
		return feeddoc.Errorf(feeddoc.TooComplex, "xml:base longer than %d bytes along an element's path, beyond any feed's", MaxBase)
	case n.markup > MaxBaseMarkup:
		return feeddoc.Errorf(feeddoc.TooComplex, "markup under xml:base weighs more than %d (each tag %d and its base's length), beyond any feed's", MaxBaseMarkup, baseTag)
	}
	return nil
}

// recodes is whether the processing instruction pi (its target and content,
// between "<?" and "?>") may switch gofeed's XML decoder to another
// encoding: at least every one encoding/xml acts on, wherever it stands —
// the target "xml" (or "xml" and a non-ASCII byte: refused all the same),
// and the first "encoding=" followed by a quote (procInst) naming something
// but UTF-8 ("utf8" too, which changes nothing in gofeed: refused all the
// same). declaredCharset decodes the declaration a document
// starts with and relabels it "utf-8"; any other, or one it did not find
// (a comment before it, a look-alike attribute first), would have gofeed
// read in one encoding what the pass read in another.
func recodes(pi []byte) bool {
	if !bytes.HasPrefix(pi, []byte("xml")) || len(pi) > 3 && nameByte(pi[3]) {
		return false
	}
	enc := procInstEncoding(pi[3:])
	return enc != "" && !strings.EqualFold(enc, "utf-8")
}

// procInstEncoding is encoding/xml's procInst("encoding", content).
func procInstEncoding(content []byte) string {
	const param = "encoding="
	for i := 0; i < len(content); {
		sub := content[i:]
		k := bytes.Index(sub, []byte(param))
		if k < 0 || len(param)+k >= len(sub) {
			return ""
		}
		i += len(param) + k + 1
		if sep := sub[len(param)+k]; sep == '\'' || sep == '"' {
			j := bytes.IndexByte(content[i:], sep)
			if j < 0 {
				return ""
			}
			return string(content[i : i+j])
		}
	}
	return ""
}

// filterControls drops the C0 control bytes XML forbids (all but tab, LF
// and CR), as gofeed's RSS and Atom parsers do before their XML decoder
// reads a byte: the pass must see what the decoder sees, or "<!-\x01-" would
// read as a declaration here and a comment there, and a quote inside it hide
// the elements that follow. A document without them (any real one) is not
// copied.
func filterControls(b []byte) []byte {
	if !slices.ContainsFunc(b, control) {
		return b
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if !control(c) {
			out = append(out, c)
		}
	}
	return out
}

func control(c byte) bool { return c < 0x20 && c != '\t' && c != '\n' && c != '\r' }

// xmlShape counts an XML document's shape, stopping once any count is past
// its bound.
func xmlShape(b []byte) (n shapeCounts) {
	// bases[d] is the xml:base along the path of the open element at depth d
	// (up to one past MaxDepth, where the pass stops).
	var bases [MaxDepth + 2]int
	depth := 0
	for i := 0; i < len(b) && !n.over(); {
		// from…i, the text and then the construct read, is under base.
		from, base := i, bases[depth]
		j := bytes.IndexByte(b[i:], '<')
		i += j + 1 // past the '<'
		switch {
		case j < 0 || i == len(b):
			i = len(b) // no '<' opens anything: the rest is text
		case b[i] == '/':
			if depth > 0 {
				depth--
			}
			i = past(b, i, ">")
		case b[i] == '?':
			pi := i
			i = past(b, i, "?>")
			n.recoded = n.recoded || recodes(b[pi+1:max(pi+1, i-2)])
		case bytes.HasPrefix(b[i:], []byte("!--")):
			i = past(b, i+3, "-->")
		case bytes.HasPrefix(b[i:], []byte("![CDATA[")):
			i = past(b, i+8, "]]>")
		case b[i] == '!':
			i = declEnd(b, i)
		default:
			name := i
			for i < len(b) && !isSpace(b[i]) && b[i] != '>' && b[i] != '/' {
				i++
			}
			local := b[name:i]
			if k := bytes.LastIndexByte(local, ':'); k >= 0 {
				local = local[k+1:]
			}
			if string(local) == "item" || string(local) == "entry" {
				n.items++
			}
			var empty bool
			var attrs, own int
			i, empty, attrs, own = tagEnd(b, i)
			own += bases[depth]
			n.elements += 1 + attrs
			n.depth, n.base = max(n.depth, depth+1), max(n.base, own)
			if !empty {
				depth++
				bases[depth] = own
			}
			base = own // the tag's own links resolve against its base
		}
		if base > 0 {
			n.markup += (baseTag + base) * tags(b[from:i])
		}
	}
	return n
}

// tags counts what gofeed may build an HTML node for or resolve against
// the base in b: a start tag's start — a '<', or an "&lt" or "&#" (gofeed
// decodes entities in HTML content before parsing it, and "&#60;" is a '<'),
// but not "</" or "&lt;/", an end tag, which builds nothing (a table-heavy
// post of 2 MB counted twice its rows and was refused) — and
// the name of an attribute it resolves (uriAttrs; the HTML parser keeps
// every one of a tag's attributes, repeated or not, and a name spelled with
// an entity holds a counted "&#"). A name counts wherever its letters stand,
// in any case, not only as an attribute or a whole word: "during" counts
// "uri", "database" "data": text may count more than gofeed builds (at most
// one a byte), a tag never less.
func tags(b []byte) int {
	n := 0
	for k, c := range b {
		switch {
		case c == '<':
			if k+1 == len(b) || b[k+1] != '/' || buildsNode(b[k+2:]) {
				n++
			}
		case c == '&':
			if k+1 < len(b) && b[k+1] == '#' {
				n++
			} else if k+2 < len(b) && b[k+1]|0x20 == 'l' && b[k+2]|0x20 == 't' {
				if end := b[k+3:]; !bytes.HasPrefix(end, []byte(";/")) || buildsNode(end[2:]) {
					n++
				}
			}
		case uriAttrStart[c]:
			for _, a := range uriAttrs {
				if a[0] == c|0x20 && foldPrefix(b[k:], a) {
					n++
					break
				}
			}
		}
	}
	return n
}

// buildsNode is whether the end tag whose name starts b builds an HTML
// node all the same: "</p>" without an open p is an empty p, "</br>" a br
// (the HTML parser's rules); any other end tag builds none.
func buildsNode(b []byte) bool {
	for _, name := range []string{"p", "br"} {
		if foldPrefix(b, name) && (len(b) == len(name) || !nameByte(b[len(name)])) {
			return true
		}
	}
	return false
}

// foldPrefix is whether b starts with the lower-case ASCII word a, in any
// case. (bytes.EqualFold on b[:len(a)] answers the same, but decodes UTF-8
// and folds Unicode: about 30% slower over text under a base.)
func foldPrefix(b []byte, a string) bool {
	if len(b) < len(a) {
		return false
	}
	for i := range len(a) {
		if b[i]|0x20 != a[i] {
			return false
		}
	}
	return true
}

// uriAttrs are the attributes gofeed resolves against xml:base: in HTML
// content, and (href, src, uri, scheme) on a feed's own elements.
var uriAttrs = []string{"action", "background", "cite", "codebase", "data", "href", "poster", "profile", "scheme", "src", "uri", "usemap"}

// uriAttrStart is whether a byte starts one of uriAttrs, in either case:
// tags looks further only there.
var uriAttrStart = func() (start [256]bool) {
	for _, a := range uriAttrs {
		start[a[0]], start[a[0]&^0x20] = true, true
	}
	return start
}()

// past is the index just after the first end at or after i (len(b) if none).
func past(b []byte, i int, end string) int {
	k := bytes.Index(b[i:], []byte(end))
	if k < 0 {
		return len(b)
	}
	return i + k + len(end)
}

// tagEnd is the index just after the '>' that ends a start tag whose
// attributes begin at i, whether the tag is empty ("/>"), how many
// attributes it has, and the weighed length of its xml:base values (xmlBase):
// at least as many attributes as encoding/xml reads, which takes a quote as a
// value only after '=', an unquoted value (non-strict) as a run of ASCII name
// bytes, and a name wherever a value or white space ends. An xml:base is any
// value whose '=' follows a word ending in ":base" (encoding/xml gives any
// prefix bound to the XML namespace that meaning, not only "xml"), and the
// values of all of them on a tag count; so does a name ending in ":base"
// without '=', which non-strict encoding/xml reads as an attribute valued
// its local name, "base".
func tagEnd(b []byte, i int) (end int, empty bool, attrs, base int) {
	eq, space, value, isBase := false, true, false, false
	named := false // a name was read and no '=' has followed it yet
	for i < len(b) {
		c := b[i]
		switch {
		case c == '>':
			if named && bareBase(b[:i]) {
				base += len("base")
			}
			return i + 1, i > 0 && b[i-1] == '/', attrs, base
		case c == '=':
			eq, value, isBase, named = true, false, baseName(b[:i]), false
		case (c == '"' || c == '\'') && eq:
			// The next attribute may follow the value's quote at once.
			end := past(b, i+1, string(c))
			if isBase {
				base += xmlBase(b[i+1 : max(i+1, end-1)])
			}
			i, eq, space = end, false, true
			continue
		case isSpace(c):
			value = false
		case (eq || value) && nameByte(c):
			if isBase {
				base++ // an unquoted value's name bytes weigh 1 (xmlBase)
			}
			eq, value = false, true
		case c == '/':
		default:
			if space || eq || value {
				if named && bareBase(b[:i]) {
					base += len("base")
				}
				attrs++
			}
			eq, value, named = false, false, true
		}
		space = isSpace(c)
		i++
	}
	return len(b), false, attrs, base
}

// baseName is whether the word before the '=' that ends b (white space
// skipped) ends in ":base".
func baseName(b []byte) bool {
	b = bytes.TrimRight(b, " \t\r\n")
	return bytes.HasSuffix(b, []byte(":base"))
}

// bareBase is whether the name before b's end, before any '/' and white
// space, ends in ":base".
func bareBase(b []byte) bool {
	return baseName(bytes.TrimRight(b, "/"))
}

// xmlBase weighs an xml:base value as the longest the URL gofeed resolves it
// to may be: a byte a URL keeps as it is weighs 1, any other 9 (the pass
// reads UTF-8, declaredCharset decodes every other encoding first, and a
// UTF-8 byte escapes to "%XX"; an entity reference, from its '&', may
// expand to a 4-byte character: "&#65536;" resolves to 12 bytes).
func xmlBase(v []byte) int {
	n := 0
	for _, c := range v {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/:;=@?#%+,$", c) >= 0 {
			n++
		} else {
			n += 9
		}
	}
	return n
}

// nameByte is encoding/xml's: what an unquoted attribute value is made of.
func nameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == ':' || c == '.' || c == '-'
}

// declEnd is the index just after a "<!…>" declaration (a DOCTYPE, its
// internal subset's own declarations inside), read as encoding/xml reads a
// directive: quoted text is skipped, '<' and '>' nest, "<!--" opens a comment
// to "-->", and the first '>' outside quotes at depth 0 ends it. i is at '!'.
func declEnd(b []byte, i int) int {
	depth := 0
	var quote byte
	// encoding/xml takes the byte after "<!" as the directive's first
	// without looking at it (a quote or a '>' there opens or ends nothing).
	for i += 2; i < len(b); i++ {
		c := b[i]
		if quote == 0 && c == '>' && depth == 0 {
			return i + 1
		}
		switch {
		case c == quote:
			quote = 0
		case quote != 0:
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			depth--
		case c == '<' && bytes.HasPrefix(b[i+1:], []byte("!--")):
			i = past(b, i+4, "-->") - 1
		case c == '<':
			depth++
		}
	}
	return len(b)
}

// jsonShape counts a JSON document's deepest nesting, its objects and arrays,
// and its items: objects in an array of the top-level object.
func jsonShape(b []byte) (maxDepth, elements, items int) {
	var stack [MaxDepth + 1]byte
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if depth == 2 && b[i] == '{' && stack[0] == '{' && stack[1] == '[' {
				items++
			}
			elements++
			if depth++; depth > MaxDepth {
				return depth, elements, items
			}
			stack[depth-1] = b[i]
			maxDepth = max(maxDepth, depth)
			if elements > MaxElements || items > MaxDocumentItems {
				return maxDepth, elements, items
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return maxDepth, elements, items
}
