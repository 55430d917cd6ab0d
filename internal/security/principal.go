package security

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"regexp"
	"strings"
)

// SubjectDN returns a certificate's subject in RFC 2253 form, most
// specific RDN first ("CN=alice,OU=eng,O=Example"), as Java's
// X500Principal.getName() gives Kafka.
func SubjectDN(cert *x509.Certificate) string {
	var rdn pkix.RDNSequence
	if _, err := asn1.Unmarshal(cert.RawSubject, &rdn); err != nil {
		return cert.Subject.String()
	}
	return rdn.String()
}

// PrincipalMapper turns a certificate DN into a user name by Kafka's
// ssl.principal.mapping.rules: a comma-separated list of
// RULE:pattern/replacement/[LU] and DEFAULT, the first matching rule
// winning; DEFAULT keeps the DN whole.
type PrincipalMapper struct{ rules []mappingRule }

type mappingRule struct {
	def     bool
	re      *regexp.Regexp
	replace string
	toLower bool
	toUpper bool
}

// NewPrincipalMapper parses rules; "" means DEFAULT.
func NewPrincipalMapper(rules string) (*PrincipalMapper, error) {
	m := &PrincipalMapper{}
	s := strings.TrimSpace(rules)
	if s == "" {
		s = "DEFAULT"
	}
	for s != "" {
		s = strings.TrimLeft(s, " \t\n,")
		switch {
		case s == "":
		case strings.HasPrefix(s, "DEFAULT"):
			m.rules = append(m.rules, mappingRule{def: true})
			s = s[len("DEFAULT"):]
		case strings.HasPrefix(s, "RULE:"):
			s = s[len("RULE:"):]
			pat, rest, ok := cutUnescaped(s)
			if !ok {
				return nil, fmt.Errorf("ssl.principal.mapping.rules: rule %q lacks /replacement/", s)
			}
			rep, rest, ok := cutUnescaped(rest)
			if !ok {
				return nil, fmt.Errorf("ssl.principal.mapping.rules: rule %q lacks a closing /", s)
			}
			re, err := regexp.Compile("^(?:" + pat + ")$")
			if err != nil {
				return nil, fmt.Errorf("ssl.principal.mapping.rules: pattern %q: %w", pat, err)
			}
			r := mappingRule{re: re, replace: javaReplacement(rep)}
			if strings.HasPrefix(rest, "L") {
				r.toLower, rest = true, rest[1:]
			} else if strings.HasPrefix(rest, "U") {
				r.toUpper, rest = true, rest[1:]
			}
			m.rules = append(m.rules, r)
			s = rest
		default:
			return nil, fmt.Errorf("ssl.principal.mapping.rules: cannot parse %q (want RULE:pattern/replacement/[LU] or DEFAULT)", s)
		}
		s = strings.TrimSpace(s)
		if s != "" && s[0] != ',' {
			return nil, fmt.Errorf("ssl.principal.mapping.rules: expected ',' before %q", s)
		}
	}
	return m, nil
}

// cutUnescaped splits s at the first '/' not preceded by '\', unescaping
// "\/" in the part before it.
func cutUnescaped(s string) (before, after string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '/' {
			b.WriteByte('/')
			i++
			continue
		}
		if s[i] == '/' {
			return b.String(), s[i+1:], true
		}
		b.WriteByte(s[i])
	}
	return "", "", false
}

var javaGroupRef = regexp.MustCompile(`\$(\d+)`)

// javaReplacement turns Java's $1 group references into Go's ${1}.
func javaReplacement(s string) string { return javaGroupRef.ReplaceAllString(s, "$${$1}") }

// Name maps dn to a user name; a DN no rule matches is kept whole, as
// with DEFAULT.
func (m *PrincipalMapper) Name(dn string) string {
	for _, r := range m.rules {
		if r.def {
			return dn
		}
		if idx := r.re.FindStringSubmatchIndex(dn); idx != nil {
			out := string(r.re.ExpandString(nil, r.replace, dn, idx))
			switch {
			case r.toLower:
				out = strings.ToLower(out)
			case r.toUpper:
				out = strings.ToUpper(out)
			}
			return out
		}
	}
	return dn
}

// Principal is the principal of a verified client certificate.
func (m *PrincipalMapper) Principal(cert *x509.Certificate) string {
	return "User:" + m.Name(SubjectDN(cert))
}
