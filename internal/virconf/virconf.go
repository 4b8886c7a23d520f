// Package virconf reads libvirt's configuration files with the semantics of
// libvirt's own parser (src/util/virconf.c, virConfParse and
// virConfGetValue*), so that what we read is what the daemon or client read:
// statements end at a newline or ';', '#' starts a comment only where a
// statement or a statement's end may be (inside a list it is a syntax
// error), strings are '...', "..." or """...""" without escapes, a key given
// twice counts the first time, and any syntax error fails the whole file.
//
// Used by remoteuri (the client's libvirt.conf) and indaemon (the daemon's
// own config file, for access_drivers).
package virconf

import (
	"io"
	"os"
	"strconv"
	"strings"
)

// confKind is virConfType.
type confKind int

const (
	confLLong  confKind = iota + 1 // a number written with a leading '-'
	confULLong                     // any other number
	confString
	confList
)

// confValue is one parsed value (virConfValue).
type confValue struct {
	kind confKind
	num  int64
	str  string
	list []*confValue
}

type confEntry struct {
	name  string
	value *confValue
}

// Conf is a parsed file: its settings in file order, comments dropped.
type Conf struct {
	name    string // for messages
	entries []confEntry
}

// MaxSize is virConfReadFile's limit (MAX_CONFIG_FILE_SIZE); a larger
// file fails to load.
const MaxSize = 10 * 1024 * 1024

// confError is a file libvirt would refuse to load, with libvirt's
// "file:line: what" wording.
type confError struct {
	file string
	line int
	what string
}

func (e *confError) Error() string {
	return e.file + ":" + strconv.Itoa(e.line) + ": " + e.what
}

// Read reads and parses f as virConfReadFile does.
func Read(f *os.File) (*Conf, error) {
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, &confError{f.Name(), 0, "file is larger than libvirt reads"}
	}
	return Parse(f.Name(), data)
}

// confParser walks the text the way virconf.c's macros do: cur never passes
// end, and the byte "at" end reads as NUL (virFileReadAll's terminator).
type confParser struct {
	file string
	b    []byte
	cur  int
	line int
}

func (p *confParser) at() byte {
	if p.cur < len(p.b) {
		return p.b[p.cur]
	}
	return 0
}

func (p *confParser) next() {
	if p.cur < len(p.b) {
		p.cur++
	}
}

func (p *confParser) fail(what string) error {
	return &confError{p.file, p.line, what}
}

func isConfBlank(c byte) bool { return c == ' ' || c == '\t' }
func isConfEOL(c byte) bool   { return c == '\n' || c == '\r' }
func isASCIIAlpha(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *confParser) skipBlanks() {
	for p.cur < len(p.b) && isConfBlank(p.b[p.cur]) {
		p.cur++
	}
}

func (p *confParser) skipBlanksAndEOL() {
	for p.cur < len(p.b) && (isConfBlank(p.b[p.cur]) || isConfEOL(p.b[p.cur])) {
		if p.b[p.cur] == '\n' {
			p.line++
		}
		p.cur++
	}
}

func (p *confParser) skipToEOL() {
	for p.cur < len(p.b) && !isConfEOL(p.b[p.cur]) {
		p.cur++
	}
}

// Parse is virConfParse with no flags (the daemon and client configs).
func Parse(name string, text []byte) (*Conf, error) {
	p := &confParser{file: name, b: text, line: 1}
	c := &Conf{name: name}
	for p.cur < len(p.b) {
		if err := p.statement(c); err != nil {
			return nil, err
		}
		if err := p.separator(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (p *confParser) statement(c *Conf) error {
	p.skipBlanksAndEOL()
	if p.at() == '#' {
		p.skipToEOL()
		return nil
	}
	p.skipBlanks()
	// Note that a file of blank lines ends here with "expecting a name":
	// libvirt refuses it too.
	if !isASCIIAlpha(p.at()) {
		return p.fail("expecting a name")
	}
	start := p.cur
	for p.cur < len(p.b) && (isASCIIAlpha(p.b[p.cur]) || isASCIIDigit(p.b[p.cur]) || p.b[p.cur] == '_') {
		p.cur++
	}
	name := string(p.b[start:p.cur])
	p.skipBlanks()
	if p.at() != '=' {
		return p.fail("expecting an assignment")
	}
	p.next()
	p.skipBlanks()
	v, err := p.value()
	if err != nil {
		return err
	}
	p.skipBlanks()
	if p.at() == '#' {
		p.skipToEOL()
	}
	c.entries = append(c.entries, confEntry{name, v})
	return nil
}

func (p *confParser) separator() error {
	p.skipBlanks()
	if p.cur >= len(p.b) {
		return nil
	}
	switch c := p.at(); {
	case isConfEOL(c):
		p.skipBlanksAndEOL()
	case c == ';':
		p.next()
		p.skipBlanksAndEOL()
	default:
		return p.fail("expecting a separator")
	}
	return nil
}

func (p *confParser) value() (*confValue, error) {
	p.skipBlanks()
	if p.cur >= len(p.b) {
		return nil, p.fail("expecting a value")
	}
	switch c := p.at(); {
	case c == '"' || c == '\'':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &confValue{kind: confString, str: s}, nil
	case c == '[':
		return p.list()
	case isASCIIDigit(c) || c == '-' || c == '+':
		kind := confULLong
		if c == '-' {
			kind = confLLong
		}
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		return &confValue{kind: kind, num: n}, nil
	}
	return nil, p.fail("expecting a value")
}

// tripleQuote opens and closes a string that may span lines.
const tripleQuote = `"""`

func (p *confParser) str() (string, error) {
	q := p.at()
	// virconf.c takes """ only with more than six bytes left from it, so
	// `""""""` at the very end of a file is "" followed by a stray quote.
	if q == '"' && p.cur+6 < len(p.b) && strings.HasPrefix(string(p.b[p.cur:]), tripleQuote) {
		p.cur += len(tripleQuote)
		start := p.cur
		for p.cur+2 < len(p.b) && !strings.HasPrefix(string(p.b[p.cur:]), tripleQuote) {
			if p.b[p.cur] == '\n' {
				p.line++
			}
			p.next()
		}
		if !strings.HasPrefix(string(p.b[p.cur:]), tripleQuote) {
			return "", p.fail("unterminated string")
		}
		s := cString(p.b[start:p.cur])
		p.cur += len(tripleQuote)
		return s, nil
	}
	p.next()
	start := p.cur
	for p.cur < len(p.b) && p.b[p.cur] != q && !isConfEOL(p.b[p.cur]) {
		p.next()
	}
	if p.at() != q {
		return "", p.fail("unterminated string")
	}
	s := cString(p.b[start:p.cur])
	p.next()
	return s, nil
}

// cString is what g_strndup keeps of b: up to the first NUL.
func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func (p *confParser) list() (*confValue, error) {
	v := &confValue{kind: confList, list: []*confValue{}}
	p.next()
	p.skipBlanksAndEOL()
	if p.cur < len(p.b) && p.at() != ']' {
		e, err := p.value()
		if err != nil {
			return nil, err
		}
		v.list = append(v.list, e)
		p.skipBlanksAndEOL()
	}
	for p.cur < len(p.b) && p.at() != ']' {
		if p.at() != ',' {
			return nil, p.fail("expecting a separator in list")
		}
		p.next()
		p.skipBlanksAndEOL()
		if p.at() == ']' {
			break // a trailing comma is allowed
		}
		e, err := p.value()
		if err != nil {
			return nil, err
		}
		v.list = append(v.list, e)
		p.skipBlanksAndEOL()
	}
	if p.at() != ']' {
		return nil, p.fail("list is not closed with ]")
	}
	p.next()
	return v, nil
}

// number reads an optionally signed decimal. Releases differ on overflow
// (9.0 wraps, later ones refuse the file); the value itself matters to none
// of our keys, so it simply wraps here.
func (p *confParser) number() (int64, error) {
	neg := false
	switch p.at() {
	case '-':
		neg = true
		p.next()
	case '+':
		p.next()
	}
	if p.cur >= len(p.b) || !isASCIIDigit(p.at()) {
		return 0, p.fail("unterminated number")
	}
	var n int64
	for p.cur < len(p.b) && isASCIIDigit(p.at()) {
		n = n*10 + int64(p.at()-'0')
		p.next()
	}
	if neg {
		n = -n
	}
	return n, nil
}

// get is virConfGetValue: the first setting of key, nil when absent.
func (c *Conf) get(key string) *confValue {
	for _, e := range c.entries {
		if e.name == key {
			return e.value
		}
	}
	return nil
}

// errConfType is a setting of the wrong type: libvirt's getters fail on it,
// and so does whatever reads the setting (the daemon does not start).
type errConfType struct{ file, key, want string }

func (e *errConfType) Error() string {
	return e.file + ": expected " + e.want + " for '" + e.key + "' parameter"
}

// StringList is virConfGetValueStringList without compatString: present
// reports whether key is set; a value that is not a list of strings is an
// error.
func (c *Conf) StringList(key string) (list []string, present bool, err error) {
	v := c.get(key)
	if v == nil {
		return nil, false, nil
	}
	if v.kind != confList {
		return nil, true, &errConfType{c.name, key, "a string list"}
	}
	list = []string{}
	for _, e := range v.list {
		if e.kind != confString {
			return nil, true, &errConfType{c.name, key, "a string list"}
		}
		list = append(list, e.str)
	}
	return list, true, nil
}

// StringValue is virConfGetValueString.
func (c *Conf) StringValue(key string) (s string, present bool, err error) {
	v := c.get(key)
	if v == nil {
		return "", false, nil
	}
	if v.kind != confString {
		return "", true, &errConfType{c.name, key, "a string"}
	}
	return v.str, true, nil
}
