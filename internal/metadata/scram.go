package metadata

// ScramKey names one SCRAM credential: a user and a mechanism
// ("SCRAM-SHA-256" or "SCRAM-SHA-512").
type ScramKey struct {
	User      string `json:"user"`
	Mechanism string `json:"mechanism"`
}

// ScramCredential is what the cluster keeps of a SCRAM password
// (RFC 5802): salt, iteration count, stored key and server key; never the
// password or the salted password.
type ScramCredential struct {
	Salt       []byte `json:"salt"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
	Iterations int32  `json:"iterations"`
}

// ScramCredential returns the credential of user for mechanism.
func (im *Image) ScramCredential(mechanism, user string) (ScramCredential, bool) {
	c, ok := im.Scram[ScramKey{User: user, Mechanism: mechanism}]
	return c, ok
}
