package feedparse

import (
	"bytes"
	"strings"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
)

// charsetAliases are labels real feeds declare that the WHATWG Encoding
// Standard — the table gofeed's charset reader (x/net/html/charset) knows —
// does not list, each mapped to the label of the one encoding it names:
// Python's and Java's codec names and Microsoft's code page numbers. Only
// names whose meaning is not in doubt are here; anything else is refused by
// name (unsupported character encoding) rather than read in a guessed one.
var charsetAliases = map[string]string{
	// Microsoft's Shift_JIS (Windows-31J; WHATWG's shift_jis is it).
	"cp932": "windows-31j", "windows-932": "windows-31j",
	"euc_jp": "euc-jp", "eucjp": "euc-jp", "ujis": "euc-jp",
	// WHATWG's euc-kr is Microsoft's code page 949 (Unified Hangul Code).
	"euc_kr": "euc-kr", "euckr": "euc-kr", "cp949": "euc-kr", "ms949": "euc-kr", "uhc": "euc-kr",
	"iso2022_jp": "iso-2022-jp", "iso2022jp": "iso-2022-jp",
	"cp936": "gbk", "ms936": "gbk", "windows-936": "gbk",
	"cp950": "big5", "ms950": "big5", "windows-950": "big5",
	"cp874": "windows-874",
	"utf_8": "utf-8", "utf-8-sig": "utf-8",
	"latin_1": "iso-8859-1", "iso8859_1": "iso-8859-1", "iso8859_2": "iso-8859-2", "iso8859_15": "iso-8859-15",
}

// declaredCharset returns the document gofeed and the shape pass both read:
// one declared in any encoding but UTF-8 is decoded here, whole, and
// declared UTF-8. The shape pass must see the characters the XML decoder
// sees, and a raw byte is not always one: a GBK, Big5 or Shift_JIS trail
// byte can be ']' (so "\x81]]>" ended a CDATA section for the pass and not
// for the decoder, and a comment the pass then skipped hid 380,000 nested
// elements), an ISO-2022-JP kanji byte '<' (which gofeed would drop the
// escapes of, too). A label that is a known alias (charsetAliases) is read
// as the encoding it names, so "cp932" is Windows-31J rather than refused as
// "failed to detect feed type"; a label the parser cannot read and no alias
// names is a classified error that says so. A document without a
// declaration (or a JSON Feed) is returned as it is.
func declaredCharset(body []byte) ([]byte, *feeddoc.Error) {
	start, end, ok := encodingLabel(body)
	if !ok {
		return body, nil
	}
	label := strings.ToLower(strings.TrimSpace(string(body[start:end])))
	if label == "" {
		return nil, feeddoc.Errorf(feeddoc.NotAFeed, "unsupported character encoding %q", string(body[start:end]))
	}
	e, name := charset.Lookup(label)
	if e == nil {
		alias, ok := charsetAliases[label]
		if !ok {
			return nil, feeddoc.Errorf(feeddoc.NotAFeed, "unsupported character encoding %q", string(body[start:end]))
		}
		e, name = charset.Lookup(alias)
	}
	if name == "utf-8" && strings.EqualFold(string(body[start:end]), "utf-8") {
		return body, nil // what the XML decoder reads as UTF-8 without a charset reader
	}
	// The label becomes "utf-8"; in another encoding, what follows the
	// declaration is decoded, as the XML decoder would read it (the
	// declaration itself, and a byte-order mark or white space before it,
	// as they are).
	rest := body[end:]
	if name == "utf-8" {
		out := make([]byte, 0, start+len("utf-8")+len(rest))
		return append(append(append(out, body[:start]...), "utf-8"...), rest...), nil
	}
	decl := bytes.Index(rest, []byte("?>"))
	if decl < 0 {
		return nil, feeddoc.Errorf(feeddoc.NotAFeed, "the XML declaration does not end")
	}
	out := make([]byte, 0, start+len("utf-8")+decl+2+len(rest)*3/2)
	out = append(append(append(out, body[:start]...), "utf-8"...), rest[:decl+2]...)
	out, _, err := transform.Append(e.NewDecoder(), out, rest[decl+2:])
	if err != nil {
		return nil, feeddoc.Errorf(feeddoc.NotAFeed, "not %s: %v", name, err)
	}
	return out, nil
}

// encodingLabel finds the value of the encoding pseudo-attribute of the XML
// declaration the document starts with (after a UTF-8 byte-order mark or
// white space, which the parser skips too): body[start:end].
func encodingLabel(body []byte) (start, end int, ok bool) {
	i := len(body) - len(bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF")), " \t\r\n"))
	if !bytes.HasPrefix(body[i:], []byte("<?xml")) {
		return 0, 0, false
	}
	stop := bytes.Index(body[i:min(len(body), i+1024)], []byte("?>"))
	if stop < 0 {
		return 0, 0, false
	}
	decl := body[:i+stop]
	k := bytes.Index(decl[i:], []byte("encoding"))
	if k < 0 {
		return 0, 0, false
	}
	j := i + k + len("encoding")
	for j < len(decl) && isSpace(decl[j]) {
		j++
	}
	if j >= len(decl) || decl[j] != '=' {
		return 0, 0, false
	}
	j++
	for j < len(decl) && isSpace(decl[j]) {
		j++
	}
	if j >= len(decl) || (decl[j] != '"' && decl[j] != '\'') {
		return 0, 0, false
	}
	q := decl[j]
	n := bytes.IndexByte(decl[j+1:], q)
	if n < 0 {
		return 0, 0, false
	}
	return j + 1, j + 1 + n, true
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }
