package cli

import (
	"fmt"
	"strings"
	"time"
)

// formatJavaTime formats t with a java.text.SimpleDateFormat pattern, as
// kafka-consumer-perf-test's --date-format takes one. It knows the fields
// those patterns use (yyyy yy MM dd HH mm ss SSS); other letters and text in
// single quotes are copied as they are.
func formatJavaTime(t time.Time, pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			end := strings.IndexByte(pattern[i+1:], '\'')
			if end < 0 {
				b.WriteString(pattern[i+1:])
				break
			}
			b.WriteString(pattern[i+1 : i+1+end])
			i += end + 2
			continue
		}
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		b.WriteString(javaField(t, c, n))
		i += n
	}
	return b.String()
}

// javaField renders a run of n copies of pattern letter c.
func javaField(t time.Time, c byte, n int) string {
	pad := func(v int) string { return fmt.Sprintf("%0*d", n, v) }
	switch c {
	case 'y':
		if n == 2 {
			return fmt.Sprintf("%02d", t.Year()%100)
		}
		return pad(t.Year())
	case 'M':
		return pad(int(t.Month()))
	case 'd':
		return pad(t.Day())
	case 'H':
		return pad(t.Hour())
	case 'm':
		return pad(t.Minute())
	case 's':
		return pad(t.Second())
	case 'S':
		return pad(t.Nanosecond() / int(time.Millisecond))
	}
	return strings.Repeat(string(c), n)
}
