package article

import (
	"cmp"
	"hash/fnv"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
)

// A title's words, normalised for the story decision (story.go): how sources
// differ in writing one story should not matter — case, accents, "UPDATE:"
// and "LIVE:" prefixes, " - Reuters" and " | BBC" suffixes, stop words,
// numbers as digits or words ("fifty", "3,000", "$1bn" / "$1 billion", "Q3" /
// "third quarter"), inflections, British or American spelling, a demonym or a
// capital for its country ("Kenyan" / "Kenya", "Beijing" / "China"), headline
// abbreviations and synonyms ("PM", "quake", "polls" / "election"), acronyms
// ("WHO") — and what tells two stories apart should: numbers and their kind
// (a count, a year, a score, money, a percentage), names (capitalised words,
// acronyms, places), the capitalised first word (often the subject) and the
// direction of a change (rates raised or held, prices up or down).

// word is one token of a normalised title.
type word struct {
	text string
	name bool // a proper name, a place or an acronym
	lead bool // the title's first word, capitalised: often its subject, maybe a name
	num  uint8
	dir  uint8
}

// Kinds of number: only numbers of one kind contradict each other (a score
// and a player's points do not, nor a year and a count).
const (
	numCount uint8 = 1 + iota
	numYear
	numScore
	numMoney   // $43bn, 20 dollars
	numPercent // 4.5%, 3.2 per cent
	// numCode is an identifier mixing letters and digits ("H5N1", "A320neo",
	// a hash "c5fa0e"): not a number, but two titles each naming a code the
	// other lacks name two things.
	numCode
)

// titleKey is what the decision compares, computed once per article.
type titleKey struct {
	sig   uint64   // one bit per token, for the pre-filter
	toks  []uint64 // the tokens' hashes, sorted, unique: cheaper to compare than strings
	flags []uint8  // per tok: fName, fLead, fNum
	nums  []uint64 // numbers' hashes with their kind in the top bits, sorted, with repeats
	dirs  uint8    // the direction classes present
	total float32  // the sum of the tokens' weights
}

// Fingerprint is a title's token signature: one bit of 64 per normalised
// word, so two titles sharing words share bits. The story decision uses it
// as its pre-filter (it computes it from the title, so articles stored when
// the field held a SimHash are compared the same way).
func Fingerprint(title string) uint64 { return keyOf(title).sig }

// kindShift places a number's kind above its hash.
const kindShift = 60

func keyOf(title string) titleKey {
	ws := titleWords(title)
	type tok struct {
		h uint64
		f uint8
	}
	toks := make([]tok, 0, len(ws))
	var k titleKey
	for _, w := range ws {
		h := hash64(w.text)
		var f uint8
		if w.name {
			f |= fName
		}
		if w.lead {
			f |= fLead
		}
		if w.num != 0 {
			f |= fNum
			k.nums = append(k.nums, h>>4|uint64(w.num)<<kindShift)
		}
		k.dirs |= w.dir
		toks = append(toks, tok{h, f})
	}
	// By hash, and the numbers by value: insertion sorts, as a title has at
	// most MaxTitle/2 words (a generic sort would cost every bootstrap
	// linking the decision ~10 KB).
	for i := 1; i < len(toks); i++ {
		for j := i; j > 0 && toks[j].h < toks[j-1].h; j-- {
			toks[j], toks[j-1] = toks[j-1], toks[j]
		}
	}
	for i := 1; i < len(k.nums); i++ {
		for j := i; j > 0 && k.nums[j] < k.nums[j-1]; j-- {
			k.nums[j], k.nums[j-1] = k.nums[j-1], k.nums[j]
		}
	}
	for i, t := range toks {
		if i > 0 && toks[i-1].h == t.h {
			k.flags[len(k.flags)-1] |= t.f
			continue
		}
		k.toks = append(k.toks, t.h)
		k.flags = append(k.flags, t.f)
		k.sig |= 1 << (t.h & 63)
	}
	for _, f := range k.flags {
		k.total += weight(f)
	}
	return k
}

// Flags of a token.
const (
	fName  uint8 = 1 << iota // a proper name, a place or an acronym
	fLead                    // the capitalised first word
	fNum                     // a number
	fPlain                   // none of these (in overlap's summaries only)
)

// plain marks a token with no flag as fPlain.
func plain(f uint8) uint8 {
	if f == 0 {
		return fPlain
	}
	return f
}

func weight(f uint8) float32 {
	switch {
	case f&(fName|fNum) != 0:
		return 2
	case f&fLead != 0:
		return leadWeight
	}
	return 1
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// raw is a word as written, before normalisation.
type raw struct {
	s     string
	first bool // the title's first word
	digit bool
	score bool // digits-digits, as a match score
	code  bool // an identifier mixing letters and digits
	money bool // after a currency sign
	pct   bool // before a per cent sign
}

// titleWords normalises a title into its words.
func titleWords(title string) []word {
	t := strings.Map(foldAccent, title)
	t = stripAffixes(t)
	rs := splitRaw(t)
	tc := titleCase(rs)
	var out []word
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		lower := strings.ToLower(r.s)
		if r.score {
			out = append(out, word{text: lower, num: numScore})
			continue
		}
		if r.code {
			out = append(out, word{text: lower, name: true, num: numCode})
			continue
		}
		// Numbers, written in digits or words, with their multipliers.
		if v, ok := numberValue(r, lower); ok {
			j := i + 1
			for ; j < len(rs); j++ {
				nl := strings.ToLower(rs[j].s)
				if m, ok := multiplier[nl]; ok && (nl != "k" || rs[j-1].digit) {
					v *= m
					continue
				}
				if u, ok := numberWords[nl]; ok && !rs[j].digit && v >= 20 && v < 100 && v == float64(int(v)/10*10) && u < 10 {
					v += u // twenty-four
					continue
				}
				break
			}
			i = j - 1
			kind := numCount
			next, after := "", ""
			if i+1 < len(rs) {
				next = strings.ToLower(rs[i+1].s)
			}
			if i+2 < len(rs) {
				after = strings.ToLower(rs[i+2].s)
			}
			switch {
			case r.money || moneyWords[next] || moneyWords[after] && multipliers[next]:
				kind = numMoney
			case r.pct || next == "percent" || next == "per" && after == "cent":
				kind = numPercent
			case r.digit && len(r.s) == 4 && v >= 1900 && v < 2100 && i == j-1:
				kind = numYear
			}
			out = append(out, word{text: strconv.FormatFloat(v, 'f', -1, 64), num: kind})
			if i+1 < len(rs) {
				switch strings.ToLower(rs[i+1].s) {
				case "st", "nd", "rd", "th": // 1st, 2nd, 3rd, 15th
					i++
				case "m", "mn":
					out = append(out, word{text: "million"})
					i++
				case "b", "bn":
					out = append(out, word{text: "billion"})
					i++
				case "tn":
					out = append(out, word{text: "trillion"})
					i++
				}
			}
			continue
		}
		if lower == "q" && i+1 < len(rs) && rs[i+1].digit {
			out = append(out, word{text: "quarter"})
			continue
		}
		acronym := len(r.s) >= 2 && r.s == strings.ToUpper(r.s) && !allCaps(rs)
		if stopWords[lower] && !acronym || utf8.RuneCountInString(lower) < 2 {
			continue
		}
		upper, _ := utf8.DecodeRuneInString(r.s)
		name := acronym || (unicode.IsUpper(upper) && !r.first && !tc) || mixedCase(r.s)
		// A title starting in lower case (not how a headline is written) still
		// starts with its subject.
		lead := r.first && (unicode.IsUpper(upper) || unicode.IsLower(upper) && !name)
		if lower == "man" && i+1 < len(rs) && strings.EqualFold(rs[i+1].s, "utd") {
			lower = "manchester" // Man Utd
		}
		if i+1 < len(rs) {
			if place, ok := places[lower+" "+strings.ToLower(rs[i+1].s)]; ok {
				out = append(out, word{text: place, name: true})
				i++
				continue
			}
		}
		exp, ok := expansions[lower]
		if a, isAcronym := acronyms[lower]; isAcronym && acronym {
			exp, ok = a, true
		}
		if !ok {
			exp = lower
		}
		for _, e := range strings.Fields(exp) {
			if place, ok := places[e]; ok {
				out = append(out, word{text: place, name: true})
				continue
			}
			st := stem(spelling(e))
			if syn, ok := synonyms[st]; ok {
				st = syn
			}
			if d, ok := directions[st]; ok {
				out = append(out, word{text: dirNames[d], name: name, lead: lead, dir: d})
				continue
			}
			out = append(out, word{text: st, name: name, lead: lead})
		}
	}
	return out
}

// splitRaw cuts a title into words: letters or digits; "3,000" and "4.5" are
// one number, "3-1" one score, "U.N." one word; a word changing once between
// letters and digits ("v10", "$1bn", "Q3") is two, but an identifier of four
// characters or more ("H5N1", "A320neo", "MH370", "c5fa0e") is one.
func splitRaw(t string) []raw {
	var out []raw
	rs := []rune(t)
	for i := 0; i < len(rs); {
		c := rs[i]
		if j, ok := identifier(rs, i); ok {
			out = append(out, raw{s: string(rs[i:j]), first: len(out) == 0, code: true})
			i = j
			continue
		}
		switch {
		case unicode.IsDigit(c):
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) || (rs[j] == ',' || rs[j] == '.') && j+1 < len(rs) && unicode.IsDigit(rs[j+1]) && j > i) {
				j++
			}
			s := strings.ReplaceAll(string(rs[i:j]), ",", "")
			if j+1 < len(rs) && (rs[j] == '-' || rs[j] == '–') && unicode.IsDigit(rs[j+1]) {
				k := j + 1
				for k < len(rs) && unicode.IsDigit(rs[k]) {
					k++
				}
				out = append(out, raw{s: s + "-" + string(rs[j+1:k]), first: len(out) == 0, score: true})
				i = k
				continue
			}
			money := i > 0 && strings.ContainsRune("$£€¥", rs[i-1])
			pct := j < len(rs) && rs[j] == '%'
			out = append(out, raw{s: s, first: len(out) == 0, digit: true, money: money, pct: pct})
			i = j
		case unicode.IsLetter(c):
			j := i
			var b strings.Builder
			for j < len(rs) && unicode.IsLetter(rs[j]) {
				b.WriteRune(rs[j])
				// U.N., U.S.: single letters with dots are one word.
				if j+2 < len(rs) && rs[j+1] == '.' && unicode.IsLetter(rs[j+2]) && (j == i || rs[j-1] == '.') && (j+3 >= len(rs) || !unicode.IsLetter(rs[j+3])) {
					j += 2
					continue
				}
				j++
			}
			out = append(out, raw{s: b.String(), first: len(out) == 0})
			i = j
		default:
			i++
		}
	}
	return out
}

// identifier says whether the run of letters and digits starting at i is an
// identifier — at least four characters mixing letters and digits, not a
// number with its unit ("100bn", "1990s", "15th", "10km"), five digits or
// more with no separator ("947591"), or a hexadecimal id of six characters
// or more in parentheses ("(cadacf)") — and where it ends.
func identifier(rs []rune, i int) (end int, ok bool) {
	if i > 0 && (unicode.IsLetter(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
		return 0, false
	}
	digits, letters, unitAt := 0, 0, -1
	j := i
	for ; j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])); j++ {
		if unicode.IsDigit(rs[j]) {
			digits++
			if letters > 0 {
				unitAt = -2 // a digit after a letter: no unit
			}
		} else {
			if unitAt == -1 {
				unitAt = j
			}
			letters++
		}
	}
	if letters == 0 && digits >= 5 && (j == len(rs) || rs[j] != ',' && rs[j] != '.') && (i == 0 || rs[i-1] != ',' && rs[i-1] != '.') {
		return j, true // a bare run of five digits or more: a number is written "40,000"
	}
	if j-i >= 6 && i > 0 && rs[i-1] == '(' && j < len(rs) && rs[j] == ')' && strings.Trim(string(rs[i:j]), "0123456789abcdef") == "" {
		return j, true // a hexadecimal id in parentheses: "(cadacf)"
	}
	if digits == 0 || letters == 0 || j-i < 4 {
		return j, false
	}
	if unitAt > i && units[strings.ToLower(string(rs[unitAt:j]))] {
		return j, false
	}
	return j, true
}

// units are what follows a number in one word: "100bn", "1990s", "15th".
var units = map[string]bool{"st": true, "nd": true, "rd": true, "th": true, "s": true, "m": true, "mn": true, "bn": true,
	"tn": true, "k": true, "km": true, "kg": true, "cm": true, "mm": true, "gb": true, "tb": true, "mb": true, "ft": true,
	"kw": true, "mw": true, "gw": true, "kwh": true, "mph": true, "pm": true, "am": true, "x": true}

// stripAffixes drops a leading label ("UPDATE 2-", "LIVE:", "Analysis:") and
// a trailing source (" - Reuters", " | BBC News").
func stripAffixes(t string) string {
	t = strings.TrimSpace(t)
	lower := strings.ToLower(t)
	for _, p := range labels {
		if !strings.HasPrefix(lower, p) {
			continue
		}
		rest := strings.TrimLeft(t[len(p):], " 0123456789")
		if r, _ := utf8.DecodeRuneInString(rest); r == ':' || r == '-' || r == '–' || r == '—' {
			_, size := utf8.DecodeRuneInString(rest)
			t = strings.TrimSpace(rest[size:])
			break
		}
	}
	for _, sep := range []string{" | ", " - ", " – ", " — "} {
		i := strings.LastIndex(t, sep)
		if i <= 0 {
			continue
		}
		tail := strings.Fields(t[i+len(sep):])
		if len(tail) > 0 && len(tail) <= 3 && !strings.ContainsAny(t[i:], "0123456789") {
			t = t[:i]
		}
	}
	return t
}

var labels = []string{"update", "updated", "live updates", "live", "breaking news", "breaking", "analysis", "exclusive",
	"opinion", "explainer", "watch", "video", "factbox", "corrected", "in pictures"}

// titleCase says whether a title capitalises most words ("Apple Unveils New
// iPhone"), in which case a capital says nothing about a name.
func titleCase(rs []raw) bool {
	n, caps := 0, 0
	for _, r := range rs {
		if r.first || r.digit || r.score || utf8.RuneCountInString(r.s) < 4 {
			continue
		}
		n++
		if c, _ := utf8.DecodeRuneInString(r.s); unicode.IsUpper(c) {
			caps++
		}
	}
	return n >= 2 && caps*10 >= n*6
}

func allCaps(rs []raw) bool {
	for _, r := range rs {
		if !r.digit && !r.score && len(r.s) > 2 && r.s != strings.ToUpper(r.s) {
			return false
		}
	}
	return true
}

// mixedCase is a capital after the first letter: iPhone, OpenAI, McIlroy.
func mixedCase(s string) bool {
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) && s != strings.ToUpper(s) {
			return true
		}
	}
	return false
}

func numberValue(r raw, lower string) (float64, bool) {
	if r.digit {
		v, err := strconv.ParseFloat(r.s, 64)
		return v, err == nil
	}
	v, ok := numberWords[lower]
	return v, ok
}

var numberWords = map[string]float64{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
	"fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
	"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}

var multiplier = map[string]float64{"hundred": 100, "thousand": 1000, "k": 1000}

var (
	moneyWords  = map[string]bool{"dollar": true, "dollars": true, "euro": true, "euros": true, "pounds": true, "yen": true}
	multipliers = map[string]bool{"m": true, "mn": true, "million": true, "b": true, "bn": true, "billion": true, "tn": true, "trillion": true}
)

// stem folds the commonest English inflections so "opens"/"open",
// "rallies"/"rallied"/"rally" and "hits"/"hitting" agree.
func stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"), n > 4 && strings.HasSuffix(w, "ied"):
		return w[:n-3] + "y"
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = undouble(w[:n-3])
	case n > 4 && strings.HasSuffix(w, "ed"):
		w = undouble(w[:n-2])
	case n > 4 && strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "ses"):
		w = w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		w = w[:n-1]
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1] // close, closes, closed: clos
	}
	return w
}

func undouble(w string) string {
	n := len(w)
	if n > 3 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

// spelling folds British spellings to American ones.
func spelling(w string) string {
	if s, ok := spellings[w]; ok {
		return s
	}
	n := len(w)
	switch {
	case n >= 6 && strings.HasSuffix(w, "our"):
		w = w[:n-3] + "or" // colour, labour, vapour
	case n >= 7 && strings.HasSuffix(w, "ours"):
		w = w[:n-4] + "ors"
	case n >= 5 && strings.HasSuffix(w, "tre"):
		w = w[:n-3] + "ter" // centre, theatre
	case n >= 7 && (strings.HasSuffix(w, "lled") || strings.HasSuffix(w, "lling")):
		w = strings.Replace(w, "ll", "l", 1) // travelled, cancelling
	}
	// organise, realised, criticising; not raise, raised, praising.
	for _, s := range [][3]string{{"isation", "ization", "0"}, {"ising", "izing", "9"}, {"ised", "ized", "8"}, {"ises", "izes", "8"}, {"ise", "ize", "7"}} {
		if strings.HasSuffix(w, s[0]) && n >= int(s[2][0]-'0') {
			return strings.TrimSuffix(w, s[0]) + s[1]
		}
	}
	if n >= 7 && strings.Contains(w, "ae") {
		w = strings.Replace(w, "ae", "e", 1) // palaeontology
	}
	return w
}

var spellings = map[string]string{"defence": "defense", "offence": "offense", "licence": "license", "programme": "program",
	"programmes": "programs", "aluminium": "aluminum", "grey": "gray", "tyre": "tire", "tyres": "tires", "cheque": "check",
	"jewellery": "jewelry", "cosy": "cozy", "sceptic": "skeptic", "plough": "plow", "kerb": "curb", "storey": "story"}

// expansions spell out headline abbreviations and fold headline synonyms.
var expansions = map[string]string{"pm": "prime minister", "gp": "grand prix", "utd": "united", "st": "street",
	"govt": "government", "quake": "earthquake", "quakes": "earthquakes",
	"hike": "raise", "hikes": "raises", "usa": "us", "uk": "britain",
	"ecb": "european central bank", "fed": "federal reserve"}

// synonyms folds the headline synonyms of one group into its first word's
// stem: "kill"/"dead"/"died", "delay"/"postpone", "polls"/"election".
var synonyms = map[string]string{}

func init() {
	for _, group := range strings.Split(synonymGroups, "\n") {
		ws := strings.Fields(group)
		for _, w := range ws {
			synonyms[stem(spelling(w))] = stem(spelling(ws[0]))
		}
	}
}

const synonymGroups = `kill killed dead die dies died death deaths
injure injured injures hurt wounded
win wins won victory triumph
resign resigns resigned quit quits
buy buys bought acquire acquires acquisition takeover purchase
launch launches launched unveil unveils unveiled release releases released
arrest arrested detain detained
delay delays delayed postpone postpones postponed
approve approves approved approval endorse endorses
election elections poll polls
unemployment jobless
steal steals stole stolen theft robbery robbed thieves thief heist
jail jailed prison imprisoned
ceasefire truce
probe investigation inquiry
jet jets plane planes aircraft airliner
firm company
evacuate evacuated evacuation evacuations flee flees fled
erupt erupts erupted eruption
recover recovers recovering recovery
hottest warmest
children pupils schoolchildren students kids
film movie
law act bill legislation
announce announces announced reveal reveals revealed`

// acronyms spells out acronyms when written as ones: "WHO", not "who".
var acronyms = map[string]string{"who": "world health organization", "un": "united nations", "eu": "european union",
	"imf": "international monetary fund", "wto": "world trade organization", "ai": "artificial intelligence"}

// directions are classes of a change that exclude each other: a title that
// says rates rose is not the story of one that says they were held.
const (
	dirUp uint8 = 1 << iota
	dirDown
	dirRaise
	dirCut
	dirHold
)

var directions = map[string]uint8{}

// dirNames are the tokens a direction's words become, so "climbs", "rises"
// and "gains" agree.
var dirNames = map[uint8]string{dirUp: "↑", dirDown: "↓", dirRaise: "raise", dirCut: "cut", dirHold: "hold"}

func init() {
	for class, ws := range map[uint8]string{
		dirUp:    "rise rises rose climb climbs gain gains jump jumps surge surges soar soars rally rallies up grow grows",
		dirDown:  "fall falls fell drop drops slide slides slid slip slips sink sinks sank plunge plunges tumble tumbles down shrink shrinks ease eases",
		dirRaise: "raise raises lift lifts increase increases",
		dirCut:   "cut cuts lower lowers trim trims reduce reduces",
		dirHold:  "hold holds held keep keeps kept leave leaves unchanged steady pause pauses",
	} {
		for _, w := range strings.Fields(ws) {
			directions[stem(spelling(w))] = class
		}
	}
}

// places maps countries, demonyms and some large cities and regions to one
// name, so "Kenyan" and "Kenya" agree and are known to be places.
var places = map[string]string{}

func init() {
	for _, line := range strings.Split(placeList, "\n") {
		f := strings.Split(line, ",")
		for _, w := range f {
			places[strings.TrimSpace(w)] = strings.TrimSpace(f[0])
		}
	}
}

// placeList: one place a line, its name first, then its other forms (its
// people, its capital, as headlines use it for its government); a form may be
// two words.
const placeList = `afghanistan, afghan, afghans, kabul
argentina, argentine, argentinian, argentines, buenos aires
australia, australian, australians, canberra
austria, austrian, vienna
bangladesh, bangladeshi, dhaka
belgium, belgian, brussels
brazil, brazilian, brazilians, brasilia
britain, british, uk, briton, britons, united kingdom, london
canada, canadian, canadians, ottawa
chile, chilean, chileans, santiago
china, chinese, beijing
colombia, colombian, bogota
cuba, cuban, havana
denmark, danish, dane, danes, copenhagen
egypt, egyptian, egyptians, cairo
ethiopia, ethiopian, addis ababa
europe, european, europeans
finland, finnish, finn, finns, helsinki
france, french, paris
germany, german, germans, berlin
greece, greek, greeks, athens
hungary, hungarian, budapest
india, indian, indians, delhi, new delhi
indonesia, indonesian, jakarta
iran, iranian, iranians, tehran
iraq, iraqi, iraqis, baghdad
ireland, irish, dublin
israel, israeli, israelis, jerusalem
italy, italian, italians, rome
japan, japanese, tokyo
kenya, kenyan, kenyans, nairobi
mali, malian
mexico, mexican, mexicans, mexico city
morocco, moroccan
netherlands, dutch, holland, amsterdam, the hague
nigeria, nigerian, nigerians, abuja
norway, norwegian, oslo
pakistan, pakistani, pakistanis, islamabad
peru, peruvian, lima
philippines, filipino, philippine, manila
poland, polish, pole, poles, warsaw
portugal, portuguese, lisbon
russia, russian, russians, moscow
saudi, saudis, saudi arabia
serbia, serbian, serbs, serb, belgrade
spain, spanish, spaniard, madrid
sudan, sudanese, khartoum
sweden, swedish, swede, swedes, stockholm
switzerland, swiss
syria, syrian, syrians, damascus
taiwan, taiwanese, taipei
thailand, thai, bangkok
turkey, turkish, turk, turks, ankara
ukraine, ukrainian, ukrainians, kyiv, kiev
us, american, americans, america, united states, washington
venezuela, venezuelan, caracas
vietnam, vietnamese, hanoi
south korea, korea, korean, koreans, seoul
africa, african
asia, asian
arctic
antarctica, antarctic
mars, martian
moon, lunar
brisbane
dresden
istanbul
georgia, georgian, tbilisi
texas
idaho
california
quebec
new zealand, new zealander, new zealanders
eurozone, euro zone
iceland, icelandic, reykjavik
south africa
los angeles
new york
hong kong
north korea, pyongyang`

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but of in on at to for from by with as is are was were be been
		its it this that these those after before over under into about than then new says said will has have had
		not no up out his her their our your my we you they he she who what when where why how de la le el en y
		per cent percent amid more just now here there know all off via could would may might can should
		s live latest update updates report reports time times first through above below again
		dollar dollars euro euros`) {
		stopWords[w] = true
	}
	delete(stopWords, "up") // a direction
}

// overlap compares two keys: their weighted Dice similarity, the number of
// tokens they share, the flags of the tokens each has alone (fPlain for a
// plain word), and how many plain words they do not share.
func overlap(a, b *titleKey) (dice float32, shared int, onlyA, onlyB uint8, plainApart int) {
	var w float32
	i, j := 0, 0
	for i < len(a.toks) || j < len(b.toks) {
		c := 0
		switch {
		case i == len(a.toks):
			c = 1
		case j == len(b.toks):
			c = -1
		default:
			c = cmp.Compare(a.toks[i], b.toks[j])
		}
		switch {
		case c == 0:
			w += weight(a.flags[i] | b.flags[j])
			shared++
			i++
			j++
		case c < 0:
			onlyA |= plain(a.flags[i])
			if a.flags[i] == 0 {
				plainApart++
			}
			i++
		default:
			onlyB |= plain(b.flags[j])
			if b.flags[j] == 0 {
				plainApart++
			}
			j++
		}
	}
	return 2 * w / (a.total + b.total), shared, onlyA, onlyB, plainApart
}

// numbersConflict says whether each title has a number of one kind the
// other lacks (3-1 and 2-0, day 2 and day 3, 4.5% and 4%), counting repeats.
func numbersConflict(a, b []uint64) bool {
	var onlyA, onlyB uint8
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		c := 0
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = cmp.Compare(a[i], b[j])
		}
		switch {
		case c == 0:
			i++
			j++
		case c < 0:
			onlyA |= 1 << (a[i] >> kindShift)
			i++
		default:
			onlyB |= 1 << (b[j] >> kindShift)
			j++
		}
	}
	return onlyA&onlyB != 0
}

func sharedBits(a, b uint64) int { return bits.OnesCount64(a & b) }

func foldAccent(r rune) rune {
	if r < 0x80 {
		return r
	}
	if Invisible(r) {
		return -1 // a title stored before ingestion dropped them compares as its cleaned form
	}
	if f, ok := accents[r]; ok {
		return f
	}
	switch r {
	case '’', '‘':
		return '\''
	}
	return r
}

var accents = map[rune]rune{}

func init() {
	for _, p := range strings.Fields("àa áa âa ãa äa åa āa ăa ąa çc ćc čc ďd èe ée êe ëe ēe ėe ęe ěe ğg ìi íi îi ïi īi ıi İI łl ńn ñn ňn òo óo ôo õo öo øo ōo őo řr śs şs šs țt ťt ùu úu ûu üu ūu ůu űu ýy ÿy źz żz žz ÀA ÁA ÂA ÄA ÇC ÉE ÈE ÖO ÜU ŞS ŠS ŽZ") {
		r := []rune(p)
		accents[r[0]] = r[1]
	}
}

// Invisible reports a format character that shows nothing and carries no
// meaning in a title or a summary (feeddoc.Invisible: the bidi controls, the
// zero-width space, the word joiner, the BOM).
func Invisible(r rune) bool { return feeddoc.Invisible(r) }
