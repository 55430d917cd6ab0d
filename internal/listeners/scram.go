package listeners

import (
	"github.com/samsa-io/samsa/internal/metadata"
	"github.com/samsa-io/samsa/internal/security"
)

// ImageScram finds the SCRAM credentials of SASL listeners in the current
// metadata image (AlterUserScramCredentials writes them there).
func ImageScram(image func() *metadata.Image) security.ScramLookup { return imageScram{image} }

type imageScram struct{ image func() *metadata.Image }

func (i imageScram) ScramCredential(mechanism, user string) (security.ScramCredential, bool) {
	c, ok := i.image().ScramCredential(mechanism, user)
	return security.ScramCredential{Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: c.Iterations}, ok
}
