package security

import (
	"fmt"
	"strings"
)

// JAAS is one parsed sasl.jaas.config value:
// "<LoginModule class> <flag> key="value" ...;".
type JAAS struct {
	Module  string
	Flag    string
	Options map[string]string
}

// ParseJAAS parses Kafka's single-entry JAAS syntax. Values may be
// double-quoted (with \" and \\ escapes) or bare words.
func ParseJAAS(s string) (JAAS, error) {
	j := JAAS{Options: map[string]string{}}
	p := &jaasLexer{s: strings.TrimSpace(s)}
	j.Module = p.word()
	j.Flag = p.word()
	if j.Module == "" || j.Flag == "" {
		return JAAS{}, fmt.Errorf("sasl.jaas.config: want `<LoginModule> required key=\"value\" ...;`, got %q", s)
	}
	switch j.Flag {
	case "required", "requisite", "sufficient", "optional":
	default:
		return JAAS{}, fmt.Errorf("sasl.jaas.config: control flag %q is not required, requisite, sufficient or optional", j.Flag)
	}
	for {
		p.space()
		if p.eof() {
			return JAAS{}, fmt.Errorf("sasl.jaas.config: missing the closing ';' in %q", s)
		}
		if p.peek() == ';' {
			p.i++
			p.space()
			if !p.eof() {
				return JAAS{}, fmt.Errorf("sasl.jaas.config: only one login module is supported, found more after ';' in %q", s)
			}
			return j, nil
		}
		key := p.until("= \t\n;")
		p.space()
		if key == "" || p.eof() || p.peek() != '=' {
			return JAAS{}, fmt.Errorf("sasl.jaas.config: expected key=value near %q", p.rest())
		}
		p.i++
		p.space()
		val, err := p.value()
		if err != nil {
			return JAAS{}, err
		}
		j.Options[key] = val
	}
}

type jaasLexer struct {
	s string
	i int
}

func (p *jaasLexer) eof() bool    { return p.i >= len(p.s) }
func (p *jaasLexer) peek() byte   { return p.s[p.i] }
func (p *jaasLexer) rest() string { return p.s[p.i:] }

func (p *jaasLexer) space() {
	for !p.eof() && strings.IndexByte(" \t\r\n", p.peek()) >= 0 {
		p.i++
	}
}

func (p *jaasLexer) until(stop string) string {
	start := p.i
	for !p.eof() && strings.IndexByte(stop, p.peek()) < 0 {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *jaasLexer) word() string {
	p.space()
	return p.until(" \t\r\n;")
}

func (p *jaasLexer) value() (string, error) {
	if p.eof() {
		return "", fmt.Errorf("sasl.jaas.config: missing value at end")
	}
	if p.peek() != '"' {
		return p.until(" \t\r\n;"), nil
	}
	p.i++
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		p.i++
		switch {
		case c == '\\' && !p.eof():
			b.WriteByte(p.peek())
			p.i++
		case c == '"':
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("sasl.jaas.config: unterminated quoted value")
}

// PlainUsers returns the user_<name>="<password>" entries of a
// PlainLoginModule config: the users a PLAIN listener accepts.
func (j JAAS) PlainUsers() map[string]string {
	users := map[string]string{}
	for k, v := range j.Options {
		if name, ok := strings.CutPrefix(k, "user_"); ok && name != "" {
			users[name] = v
		}
	}
	return users
}
