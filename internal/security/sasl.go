package security

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
)

// ErrAuthFailed marks a failed authentication: the network layer answers
// SASL_AUTHENTICATION_FAILED with the error's text and closes.
var ErrAuthFailed = errors.New("Authentication failed")

// ErrUnsupportedMechanism is Start's error for a mechanism the listener
// does not enable.
var ErrUnsupportedMechanism = errors.New("unsupported SASL mechanism")

// SASL mechanism names.
const (
	MechPlain       = "PLAIN"
	MechScramSHA256 = "SCRAM-SHA-256"
	MechScramSHA512 = "SCRAM-SHA-512"
)

// ScramCredential is what a server keeps of a SCRAM password (RFC 5802):
// never the password, only what verifies a proof.
type ScramCredential struct {
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
	Iterations int32
}

// ScramLookup finds a user's credential for a mechanism.
type ScramLookup interface {
	ScramCredential(mechanism, user string) (ScramCredential, bool)
}

// ScramIterations bounds the iteration counts Kafka accepts.
const (
	MinScramIterations = 4096
	MaxScramIterations = 16384
)

// ScramHash returns the hash of a SCRAM mechanism, or nil.
func ScramHash(mechanism string) func() hash.Hash {
	switch mechanism {
	case MechScramSHA256:
		return sha256.New
	case MechScramSHA512:
		return sha512.New
	}
	return nil
}

// SaltedPassword is Hi(password, salt, iterations) of RFC 5802.
func SaltedPassword(mechanism, password string, salt []byte, iterations int) ([]byte, error) {
	h := ScramHash(mechanism)
	if h == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedMechanism, mechanism)
	}
	return pbkdf2.Key(h, password, salt, iterations, h().Size())
}

// CredentialFromSalted derives the stored and server keys from a salted
// password, as AlterUserScramCredentials asks the broker to.
func CredentialFromSalted(mechanism string, salted, salt []byte, iterations int32) (ScramCredential, error) {
	h := ScramHash(mechanism)
	if h == nil {
		return ScramCredential{}, fmt.Errorf("%w: %s", ErrUnsupportedMechanism, mechanism)
	}
	clientKey := hmacSum(h, salted, []byte("Client Key"))
	stored := h()
	stored.Write(clientKey)
	return ScramCredential{Salt: slices.Clone(salt), StoredKey: stored.Sum(nil),
		ServerKey: hmacSum(h, salted, []byte("Server Key")), Iterations: iterations}, nil
}

func hmacSum(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Authenticator is one SASL listener's server side: its enabled
// mechanisms, the PLAIN users of its JAAS config and the SCRAM store.
type Authenticator struct {
	mechanisms []string
	plainUsers map[string]string
	scram      ScramLookup
}

// NewAuthenticator builds a listener's authenticator. plainUsers may be
// nil when PLAIN is not enabled; scram may be nil when SCRAM is not.
func NewAuthenticator(mechanisms []string, plainUsers map[string]string, scram ScramLookup) *Authenticator {
	return &Authenticator{mechanisms: slices.Clone(mechanisms), plainUsers: plainUsers, scram: scram}
}

// Mechanisms are the enabled mechanisms, as SaslHandshake lists them.
func (a *Authenticator) Mechanisms() []string { return slices.Clone(a.mechanisms) }

// Session is one authentication exchange.
type Session interface {
	// Step consumes the client's next token and returns the server's
	// reply; done is true once the client is authenticated. An error
	// ends the exchange.
	Step(token []byte) (reply []byte, done bool, err error)
	// Principal is the authenticated principal, once done.
	Principal() string
}

// Start begins an exchange with mechanism (case-sensitive, as in Kafka).
func (a *Authenticator) Start(mechanism string) (Session, error) {
	if !slices.Contains(a.mechanisms, mechanism) {
		return nil, fmt.Errorf("%w %q (enabled: %s)", ErrUnsupportedMechanism, mechanism, strings.Join(a.mechanisms, ", "))
	}
	switch mechanism {
	case MechPlain:
		return &plainSession{users: a.plainUsers}, nil
	case MechScramSHA256, MechScramSHA512:
		return &scramSession{mech: mechanism, hash: ScramHash(mechanism), store: a.scram}, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnsupportedMechanism, mechanism)
}

// plainSession is RFC 4616: one message "authzid NUL authcid NUL passwd".
type plainSession struct {
	users     map[string]string
	principal string
}

func (s *plainSession) Principal() string { return s.principal }

func (s *plainSession) Step(token []byte) ([]byte, bool, error) {
	if s.principal != "" {
		return nil, false, fmt.Errorf("%w: PLAIN takes one message", ErrAuthFailed)
	}
	parts := bytes.Split(token, []byte{0})
	if len(parts) != 3 {
		return nil, false, fmt.Errorf("%w: invalid SASL/PLAIN message: expected 3 NUL-separated fields", ErrAuthFailed)
	}
	authz, user, pass := string(parts[0]), string(parts[1]), parts[2]
	if user == "" || len(pass) == 0 {
		return nil, false, fmt.Errorf("%w: SASL/PLAIN needs a user name and a password", ErrAuthFailed)
	}
	if authz != "" && authz != user {
		return nil, false, fmt.Errorf("%w: authorization id must equal the user name", ErrAuthFailed)
	}
	want, ok := s.users[user]
	// Compare even for an unknown user, so timing does not tell which
	// users exist.
	match := subtle.ConstantTimeCompare([]byte(want), pass) == 1
	if !ok || !match {
		return nil, false, fmt.Errorf("%w: Invalid username or password", ErrAuthFailed)
	}
	s.principal = "User:" + user
	return nil, true, nil
}

// scramSession is the server side of RFC 5802 without channel binding,
// as Kafka serves it.
type scramSession struct {
	mech  string
	hash  func() hash.Hash
	store ScramLookup

	step            int
	user            string
	gs2Header       string
	nonce           string // client nonce + server nonce
	cnonce          string
	clientFirstBare string
	serverFirst     string
	cred            ScramCredential
	principal       string
}

func (s *scramSession) Principal() string { return s.principal }

func (s *scramSession) fail(format string, args ...any) ([]byte, bool, error) {
	s.step = -1
	return nil, false, fmt.Errorf("%w: "+format, append([]any{ErrAuthFailed}, args...)...)
}

func (s *scramSession) Step(token []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		return s.clientFirst(string(token))
	case 1:
		return s.clientFinal(string(token))
	}
	return s.fail("unexpected SCRAM message")
}

func (s *scramSession) clientFirst(msg string) ([]byte, bool, error) {
	// gs2-header: cbind-flag "," [authzid] ","
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok || (flag != "n" && flag != "y") {
		return s.fail("invalid SCRAM client-first message (channel binding is not supported)")
	}
	authz, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return s.fail("invalid SCRAM client-first message")
	}
	s.gs2Header = flag + "," + authz + ","
	s.clientFirstBare = bare
	attrs, err := scramAttrs(bare)
	if err != nil {
		return s.fail("%v", err)
	}
	user, err := scramUnescape(attrs["n"])
	if err != nil || user == "" {
		return s.fail("invalid SCRAM user name")
	}
	if a, ok := strings.CutPrefix(authz, "a="); ok {
		if az, err := scramUnescape(a); err != nil || az != user {
			return s.fail("authorization id must equal the user name")
		}
	} else if authz != "" {
		return s.fail("invalid SCRAM gs2 header")
	}
	cnonce := attrs["r"]
	if cnonce == "" {
		return s.fail("SCRAM client nonce missing")
	}
	if s.store == nil {
		return s.fail("Invalid user credentials")
	}
	cred, ok := s.store.ScramCredential(s.mech, user)
	if !ok {
		return s.fail("Authentication failed during authentication due to invalid credentials with SASL mechanism %s", s.mech)
	}
	var rnd [24]byte
	_, _ = rand.Read(rnd[:])
	s.user, s.cred, s.cnonce = user, cred, cnonce
	s.nonce = cnonce + base64.RawStdEncoding.EncodeToString(rnd[:])
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(cred.Salt) +
		",i=" + strconv.Itoa(int(cred.Iterations))
	s.step = 1
	return []byte(s.serverFirst), false, nil
}

func (s *scramSession) clientFinal(msg string) ([]byte, bool, error) {
	idx := strings.LastIndex(msg, ",p=")
	if idx < 0 {
		return s.fail("SCRAM client proof missing")
	}
	withoutProof := msg[:idx]
	attrs, err := scramAttrs(withoutProof)
	if err != nil {
		return s.fail("%v", err)
	}
	if attrs["c"] != base64.StdEncoding.EncodeToString([]byte(s.gs2Header)) {
		return s.fail("SCRAM channel binding does not match")
	}
	// librdkafka before 2.6.1 (still in Debian and most distributions)
	// prepends its client nonce a second time; Kafka 3.8.1-3.9 accepts
	// that, so Samsa accepts exactly that form too. The proof still
	// covers the message as sent.
	if r := attrs["r"]; r != s.nonce && r != s.cnonce+s.nonce {
		return s.fail("SCRAM nonce does not match")
	}
	proof, err := base64.StdEncoding.DecodeString(msg[idx+3:])
	if err != nil || len(proof) != s.hash().Size() {
		return s.fail("invalid SCRAM client proof")
	}
	authMsg := []byte(s.clientFirstBare + "," + s.serverFirst + "," + withoutProof)
	sig := hmacSum(s.hash, s.cred.StoredKey, authMsg)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ sig[i]
	}
	h := s.hash()
	h.Write(clientKey)
	if subtle.ConstantTimeCompare(h.Sum(nil), s.cred.StoredKey) != 1 {
		return s.fail("Authentication failed during authentication due to invalid credentials with SASL mechanism %s", s.mech)
	}
	s.step = 2
	s.principal = "User:" + s.user
	serverSig := hmacSum(s.hash, s.cred.ServerKey, authMsg)
	return []byte("v=" + base64.StdEncoding.EncodeToString(serverSig)), true, nil
}

// scramAttrs splits "k=v,k=v" into a map, rejecting an m= extension as
// RFC 5802 requires of a server that knows none.
func scramAttrs(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || len(k) != 1 {
			// Kafka's extensions (tokenauth=true) have longer keys;
			// delegation tokens are not supported, so ignore them.
			if ok && len(k) > 1 {
				continue
			}
			return nil, fmt.Errorf("invalid SCRAM attribute %q", kv)
		}
		if k == "m" {
			return nil, errors.New("SCRAM mandatory extensions are not supported")
		}
		out[k] = v
	}
	return out, nil
}

// scramUnescape decodes a saslname: "=2C" is ',' and "=3D" is '='.
func scramUnescape(s string) (string, error) {
	if !strings.Contains(s, "=") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("bad escape")
		}
		switch s[i+1 : i+3] {
		case "2C":
			b.WriteByte(',')
		case "3D":
			b.WriteByte('=')
		default:
			return "", errors.New("bad escape")
		}
		i += 2
	}
	return b.String(), nil
}
