package security

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/samsa-io/samsa/internal/config"
)

// AnonymousPrincipal is Kafka's principal of an unauthenticated connection.
const AnonymousPrincipal = "User:ANONYMOUS"

// ServerTLS builds the TLS configuration of a listener from its ssl.*
// settings: the key pair, and with ssl.client.auth=required|requested the
// trusted CAs client certificates are verified against. When the key
// store or trust store is a file, a changed file (size or modification
// time) is reloaded at the next handshake, so certificates can be rotated
// without a restart; a file that fails to load keeps the previous
// configuration serving.
func ServerTLS(s config.SSL) (*tls.Config, error) {
	tc, err := buildServerTLS(s)
	if err != nil {
		return nil, err
	}
	if s.KeystoreLocation == "" && s.TruststoreLocation == "" {
		return tc, nil
	}
	r := &tlsReloader{ssl: s, current: tc, stamp: fileStamp(s)}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetConfigForClient: r.config}, nil
}

// tlsReloader swaps a listener's TLS configuration when its files change.
type tlsReloader struct {
	ssl     config.SSL
	mu      sync.Mutex
	current *tls.Config
	stamp   string
}

func (r *tlsReloader) config(*tls.ClientHelloInfo) (*tls.Config, error) {
	stamp := fileStamp(r.ssl)
	r.mu.Lock()
	defer r.mu.Unlock()
	if stamp != r.stamp {
		if tc, err := buildServerTLS(r.ssl); err == nil {
			r.current = tc
			r.stamp = stamp
		}
	}
	return r.current, nil
}

// fileStamp identifies the current versions of the key and trust store
// files.
func fileStamp(s config.SSL) string {
	var b strings.Builder
	for _, p := range []string{s.KeystoreLocation, s.TruststoreLocation} {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil {
			fmt.Fprintf(&b, "%s:%d:%d;", p, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}

func buildServerTLS(s config.SSL) (*tls.Config, error) {
	cert, err := loadKeyPair(s)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch s.ClientAuth {
	case "required", "requested":
		pool, err := loadTrust(s)
		if err != nil {
			return nil, err
		}
		if pool == nil {
			return nil, errors.New("ssl.client.auth=" + s.ClientAuth + " needs ssl.truststore.location or ssl.truststore.certificates")
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
		if s.ClientAuth == "requested" {
			tc.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	return tc, nil
}

// ClientTLS builds the configuration this node uses to dial another
// broker's TLS listener: its trust store verifies the peer, and its key
// pair (when set) is presented for mTLS. With
// ssl.endpoint.identification.algorithm empty, the host name is not
// checked (the chain still is).
func ClientTLS(s config.SSL) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	pool, err := loadTrust(s)
	if err != nil {
		return nil, err
	}
	tc.RootCAs = pool
	if s.KeystoreLocation != "" || s.KeystoreCertificateChain != "" {
		cert, err := loadKeyPair(s)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if s.EndpointIdentification == "" {
		// Verify the chain ourselves but not the name, as Kafka does with
		// an empty ssl.endpoint.identification.algorithm.
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: peer sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			if err != nil {
				return fmt.Errorf("tls: verify peer certificate: %w", err)
			}
			return nil
		}
	}
	return tc, nil
}

// loadKeyPair reads the PEM key store: one file with the private key and
// certificate chain, or the inline chain and key.
func loadKeyPair(s config.SSL) (tls.Certificate, error) {
	var certPEM, keyPEM []byte
	if s.KeystoreLocation != "" {
		data, err := os.ReadFile(s.KeystoreLocation)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("ssl.keystore.location: %w", err)
		}
		certPEM, keyPEM = splitPEM(data)
	} else {
		certPEM, keyPEM = normalizePEM(s.KeystoreCertificateChain), normalizePEM(s.KeystoreKey)
	}
	if len(certPEM) == 0 || len(keyPEM) == 0 {
		return tls.Certificate{}, errors.New("ssl key store: need a PEM certificate chain and a PEM private key")
	}
	if blk, _ := pem.Decode(keyPEM); blk != nil && blk.Type == "ENCRYPTED PRIVATE KEY" {
		return tls.Certificate{}, errors.New("ssl key store: encrypted private keys are not supported; store the key unencrypted with restricted file permissions")
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("ssl key store: %w", err)
	}
	return cert, nil
}

// splitPEM separates a key store file's certificate blocks from its key.
func splitPEM(data []byte) (certs, key []byte) {
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			return certs, key
		}
		if blk.Type == "CERTIFICATE" {
			certs = append(certs, pem.EncodeToMemory(blk)...)
		} else {
			key = append(key, pem.EncodeToMemory(blk)...)
		}
	}
}

// loadTrust reads the PEM trust store; nil when none is configured.
func loadTrust(s config.SSL) (*x509.CertPool, error) {
	data := normalizePEM(s.TruststoreCertificates)
	if s.TruststoreLocation != "" {
		var err error
		if data, err = os.ReadFile(s.TruststoreLocation); err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
	}
	if len(data) == 0 {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("ssl trust store: no PEM certificate found")
	}
	return pool, nil
}

var pemBlock = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----`)

// normalizePEM rebuilds PEM text whose line breaks were lost, as happens
// to an inline value written over continuation lines in server.properties
// (Kafka accepts those): each block's base64 body is re-wrapped.
func normalizePEM(s string) []byte {
	var out []byte
	for _, m := range pemBlock.FindAllStringSubmatch(s, -1) {
		body := strings.Join(strings.Fields(m[2]), "")
		out = append(out, "-----BEGIN "+m[1]+"-----\n"...)
		for len(body) > 64 {
			out = append(out, body[:64]+"\n"...)
			body = body[64:]
		}
		out = append(out, body+"\n-----END "+m[3]+"-----\n"...)
	}
	if out == nil {
		return []byte(s)
	}
	return out
}
