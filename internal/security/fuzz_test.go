package security

import (
	"testing"
)

// FuzzSASLServer feeds arbitrary client tokens to the PLAIN and SCRAM
// servers: they must never panic and never authenticate without the
// password.
func FuzzSASLServer(f *testing.F) {
	f.Add(uint8(0), []byte("\x00alice\x00alice-secret"), []byte(""))
	f.Add(uint8(1), []byte("n,,n=alice,r=abc"), []byte("c=biws,r=abcXYZ,p=AAAA"))
	f.Add(uint8(2), []byte("y,a=alice,n=alice,r=x"), []byte("c=eSxhPWFsaWNlLA==,r=x,p="))
	f.Add(uint8(1), []byte("n,,n=al=2Cice,r=,tokenauth=true"), []byte(",p="))
	salt := []byte("0123456789abcdef")
	creds := scramMap{}
	for _, m := range []string{MechScramSHA256, MechScramSHA512} {
		salted, _ := SaltedPassword(m, "alice-secret", salt, 4096)
		c, _ := CredentialFromSalted(m, salted, salt, 4096)
		creds[m+"/alice"] = c
	}
	a := NewAuthenticator([]string{MechPlain, MechScramSHA256, MechScramSHA512},
		map[string]string{"alice": "alice-secret"}, creds)
	mechs := []string{MechPlain, MechScramSHA256, MechScramSHA512}
	f.Fuzz(func(t *testing.T, which uint8, first, second []byte) {
		mech := mechs[int(which)%len(mechs)]
		s, err := a.Start(mech)
		if err != nil {
			t.Fatal(err)
		}
		_, done, err := s.Step(first)
		if done {
			if mech != MechPlain || string(first) != "\x00alice\x00alice-secret" && string(first) != "alice\x00alice\x00alice-secret" {
				t.Fatalf("%s authenticated %q", mech, first)
			}
			return
		}
		if err != nil {
			return
		}
		if _, done, _ := s.Step(second); done {
			t.Fatalf("%s authenticated %q then %q without a valid proof", mech, first, second)
		}
	})
}
