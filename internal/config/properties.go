package config

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Property is one key/value pair of a properties file, with the line number
// (1-based) where its logical line starts.
type Property struct {
	Key   string
	Value string
	Line  int
}

// ParseProperties parses data in the syntax of java.util.Properties.load:
//
//   - a line whose first non-blank character is '#' or '!' is a comment;
//   - the key ends at the first unescaped '=', ':' or blank; blanks around
//     that separator are skipped, and the rest of the line is the value;
//   - an odd number of backslashes at the end of a line continues the logical
//     line on the next one, whose leading blanks are dropped;
//   - escapes \t \n \r \f \uXXXX are decoded, and a backslash before any other
//     character stands for that character (so "\=" and "\:" and "\ " put
//     separators into keys).
//
// Blanks are space, tab and form feed. Unlike Java, which reads ISO-8859-1,
// the bytes are taken as UTF-8. The pairs come back in file order; a repeated
// key appears as often as it is written (the last one wins in a map). The
// only error is a malformed \u escape, reported with its line number.
func ParseProperties(data []byte) ([]Property, error) {
	lines := splitLines(strings.TrimPrefix(string(data), "\ufeff"))
	var props []Property
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := trimBlanks(lines[i])
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) {
			line = line[:len(line)-1]
			if i+1 >= len(lines) {
				break
			}
			i++
			line += trimBlanks(lines[i])
		}
		key, value, err := splitKeyValue(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start, err)
		}
		props = append(props, Property{Key: key, Value: value, Line: start})
	}
	return props, nil
}

// splitLines splits s at "\n", "\r\n" and "\r", as Java's LineReader does.
func splitLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func trimBlanks(s string) string {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return s[i:]
}

// continues reports whether line ends in an odd number of backslashes.
func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitKeyValue splits one logical line into its unescaped key and value.
func splitKeyValue(line string) (key, value string, err error) {
	keyEnd, valueStart := len(line), len(line)
	hasSep, escaped := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !escaped && (c == '=' || c == ':' || isBlank(c)) {
			keyEnd, valueStart, hasSep = i, i+1, c == '=' || c == ':'
			break
		}
		escaped = c == '\\' && !escaped
	}
	for valueStart < len(line) {
		c := line[valueStart]
		if !isBlank(c) {
			if hasSep || (c != '=' && c != ':') {
				break
			}
			hasSep = true
		}
		valueStart++
	}
	if key, err = unescape(line[:keyEnd]); err != nil {
		return "", "", err
	}
	if value, err = unescape(line[valueStart:]); err != nil {
		return "", "", err
	}
	return key, value, nil
}

// unescape decodes the backslash escapes of a key or value.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break // a lone trailing backslash stands for nothing
		}
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, n, err := decodeUnicode(s[i+1:])
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			i += n
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// decodeUnicode decodes the XXXX after a "\u" and, when it is a high
// surrogate followed by "\uYYYY" holding a low one, the pair. It returns the
// rune and the number of bytes of s consumed.
func decodeUnicode(s string) (rune, int, error) {
	r, ok := hex4(s)
	if !ok {
		return 0, 0, fmt.Errorf(`malformed \uxxxx encoding %q`, `\u`+s[:min(len(s), 4)])
	}
	if utf16.IsSurrogate(r) && len(s) >= 10 && s[4] == '\\' && s[5] == 'u' {
		if lo, ok := hex4(s[6:]); ok {
			if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
				return pair, 10, nil
			}
		}
	}
	return r, 4, nil
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := range 4 {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
