package config

import (
	"slices"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Property
	}{
		{"equals", "a=b", []Property{{"a", "b", 1}}},
		{"equals with blanks", "a = b", []Property{{"a", "b", 1}}},
		{"colon", "a:b\nc : d", []Property{{"a", "b", 1}, {"c", "d", 2}}},
		{"whitespace separator", "a b c", []Property{{"a", "b c", 1}}},
		{"tab and form feed", "a\t=\fb", []Property{{"a", "b", 1}}},
		{"blank then separator", "a =: b", []Property{{"a", ": b", 1}}},
		{"second separator is value", "a==b", []Property{{"a", "=b", 1}}},
		{"leading blanks", "   \t a=b", []Property{{"a", "b", 1}}},
		{"trailing blanks kept", "a=b  ", []Property{{"a", "b  ", 1}}},
		{"key only", "a", []Property{{"a", "", 1}}},
		{"empty value", "a=", []Property{{"a", "", 1}}},
		{"comments", "# x\n! y\n   # z\na=b", []Property{{"a", "b", 4}}},
		{"blank lines", "\n  \t\n\na=b\n\n", []Property{{"a", "b", 4}}},
		{"continuation", "a=b\\\n    c\\\n\td\ne=f", []Property{{"a", "bcd", 1}, {"e", "f", 4}}},
		{"continuation in key", "ke\\\n  y=v", []Property{{"key", "v", 1}}},
		{"escaped backslash ends line", "a=b\\\\\nc=d", []Property{{"a", `b\`, 1}, {"c", "d", 2}}},
		{"three backslashes continue", "a=b\\\\\\\nc", []Property{{"a", `b\c`, 1}}},
		{"continuation at end of file", "a=b\\", []Property{{"a", "b", 1}}},
		{"continuation then empty line", "a=b\\\n\nc=d", []Property{{"a", "b", 1}, {"c", "d", 3}}},
		{"comment does not continue", "# x\\\na=b", []Property{{"a", "b", 2}}},
		{"continued line is not a comment", "a=b\\\n  #c", []Property{{"a", "b#c", 1}}},
		{"escaped separators in key", `a\=b\:c\ d=e`, []Property{{"a=b:c d", "e", 1}}},
		{"escapes", `a=\t\n\r\f\\\q\=`, []Property{{"a", "\t\n\r\f\\q=", 1}}},
		{"unicode escape", `\u0061=\u00e9\u20AC`, []Property{{"a", "é€", 1}}},
		{"surrogate pair", `a=\uD83D\uDE00`, []Property{{"a", "😀", 1}}},
		{"lone surrogate", `a=\uD83Dx`, []Property{{"a", "\uFFFDx", 1}}},
		{"crlf", "a=b\r\nc=d\r\n", []Property{{"a", "b", 1}, {"c", "d", 2}}},
		{"cr", "a=b\rc=d", []Property{{"a", "b", 1}, {"c", "d", 2}}},
		{"crlf continuation", "a=b\\\r\n  c", []Property{{"a", "bc", 1}}},
		{"repeated key", "a=1\na=2", []Property{{"a", "1", 1}, {"a", "2", 2}}},
		{"byte order mark", "\ufeffa=b", []Property{{"a", "b", 1}}},
		{"utf-8 passes through", "ключ=значение", []Property{{"ключ", "значение", 1}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseProperties(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseProperties(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePropertiesMalformedUnicode(t *testing.T) {
	for _, in := range []string{`a=\u12`, "x=1\n\ny=\\u12G4", `\uZZZZ=1`, "a=b\\\n\\u"} {
		_, err := ParseProperties([]byte(in))
		if err == nil || !strings.Contains(err.Error(), `\uxxxx`) {
			t.Errorf("ParseProperties(%q) error = %v, want malformed \\uxxxx", in, err)
		}
	}
	_, err := ParseProperties([]byte("x=1\n\ny=\\u12G4"))
	if err == nil || !strings.HasPrefix(err.Error(), "line 3:") {
		t.Errorf("error %v does not name line 3", err)
	}
}

// escapeProperty writes key and value so that ParseProperties reads them back.
func escapeProperty(key, value string) string {
	esc := func(s string, isKey bool) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\f':
				b.WriteString(`\f`)
			case c == ' ' && (isKey || i == 0):
				b.WriteString(`\ `)
			case (c == '=' || c == ':') && (isKey || i == 0):
				b.WriteByte('\\')
				b.WriteByte(c)
			case (c == '#' || c == '!') && isKey && i == 0:
				b.WriteByte('\\')
				b.WriteByte(c)
			case isKey && i == 0 && strings.HasPrefix(s, "\ufeff"):
				b.WriteString(`\uFEFF`)
				i += len("\ufeff") - 1
			default:
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	return esc(key, true) + "=" + esc(value, false)
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"a=b", "a b", "a:b", "# c\n! d", "a=b\\\n c", `a\=b=c`, `a=\u0041`, `a=\uD83D\uDE00`,
		"a=b\r\nc=d\re=f", "\ufeffa=b", `a=\u12`, "\\", "a=\\", "x\\\n", "=", ":", " = ",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		props, err := ParseProperties(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line number: %v", err)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 1
		var out strings.Builder
		for _, p := range props {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("line %d outside 1..%d", p.Line, lines)
			}
			out.WriteString(escapeProperty(p.Key, p.Value) + "\n")
		}
		again, err := ParseProperties([]byte(out.String()))
		if err != nil {
			t.Fatalf("reparse %q: %v", out.String(), err)
		}
		if len(again) != len(props) {
			t.Fatalf("reparse gave %d properties, want %d", len(again), len(props))
		}
		for i := range props {
			if again[i].Key != props[i].Key || again[i].Value != props[i].Value {
				t.Fatalf("round trip %q=%q became %q=%q", props[i].Key, props[i].Value, again[i].Key, again[i].Value)
			}
		}
	})
}
