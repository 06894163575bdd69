package sig

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sdocker/verify"
	"sdocker/verify/sig/sigtest"
)

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	reg := sigtest.NewRegistry(t)
	team := sigtest.NewKey(t, dir, "team")
	other := sigtest.NewKey(t, dir, "other")
	ca := sigtest.NewCA(t, dir, "test-fulcio")
	wrongCA := sigtest.NewCA(t, dir, "wrong-ca")
	const subject, issuer = "ci@team.example", "https://issuer.example"

	img := func(name string) string { return reg.Host + "/team/" + name + ":v1" }
	signed := sigtest.PushRandom(t, img("signed"))
	sigtest.Sign(t, signed, team.Signer, sigtest.SignOptions{})
	sigtest.PushRandom(t, img("unsigned"))
	wrongKey := sigtest.PushRandom(t, img("wrongkey"))
	sigtest.Sign(t, wrongKey, other.Signer, sigtest.SignOptions{})
	// A valid signature by the trusted key, made for the signed image, attached to another.
	copied := sigtest.PushRandom(t, img("copied"))
	sigtest.Sign(t, copied, team.Signer, sigtest.SignOptions{Claim: signed})
	both := sigtest.PushRandom(t, img("both"))
	sigtest.Sign(t, both, team.Signer, sigtest.SignOptions{})
	sigtest.Sign(t, both, other.Signer, sigtest.SignOptions{})

	keyless := func(name string, ca *sigtest.CA, o sigtest.LeafOptions) {
		d := sigtest.PushRandom(t, img(name))
		leaf := ca.Leaf(t, o)
		sigtest.Sign(t, d, leaf.Signer, sigtest.SignOptions{Cert: leaf.Cert, Chain: leaf.Chain})
	}
	keyless("keyless", ca, sigtest.LeafOptions{Email: subject, Issuer: issuer})
	keyless("keyless-uri", ca, sigtest.LeafOptions{URI: "https://ci.example/team/build", Issuer: issuer})
	keyless("wrong-identity", ca, sigtest.LeafOptions{Email: "mallory@evil.example", Issuer: issuer})
	keyless("wrong-issuer", ca, sigtest.LeafOptions{Email: subject, Issuer: "https://evil.example"})
	keyless("wrong-ca", wrongCA, sigtest.LeafOptions{Email: subject, Issuer: issuer})
	keyless("expired", ca, sigtest.LeafOptions{Email: subject, Issuer: issuer,
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})

	down := httptest.NewServer(nil)
	downHost := strings.TrimPrefix(down.URL, "http://")
	down.Close()

	keys := func(mode string, k ...*sigtest.Key) verify.SigRule {
		r := verify.SigRule{KeysMode: mode}
		for _, k := range k {
			r.Keys = append(r.Keys, k.PubPath)
		}
		return r
	}
	ident := func(ids ...verify.Identity) verify.SigRule {
		return verify.SigRule{Keyless: &verify.Keyless{Roots: ca.RootsPath, Identities: ids}}
	}
	good := verify.Identity{Subject: subject, Issuer: issuer}

	tests := []struct {
		name    string
		ref     string
		rule    verify.SigRule
		class   verify.Class // "" means verified
		signers string       // substring of the signers, or of the message on failure
	}{
		{"signed ok", img("signed"), keys("", team), "", "key " + team.PubPath},
		{"signed by digest", signed.String(), keys("", team), "", "key"},
		{"unsigned", img("unsigned"), keys("", team), verify.ClassUnsigned, "no cosign signature"},
		{"wrong key", img("wrongkey"), keys("", team), verify.ClassUntrusted, "a key the policy does not list"},
		{"copied signature", img("copied"), keys("", team), verify.ClassUntrusted, "for another image (" + signed.DigestStr()},
		{"all keys, one missing", img("signed"), keys("all", team, other), verify.ClassUntrusted, "not by key " + other.PubPath},
		{"all keys present", img("both"), keys("all", team, other), "", "key " + other.PubPath},
		{"any key", img("signed"), keys("any", other, team), "", "key " + team.PubPath},
		{"keyless ok", img("keyless"), ident(good), "", subject},
		{"keyless subject regexp", img("keyless-uri"), ident(verify.Identity{SubjectRegexp: `^https://ci\.example/team/`, IssuerRegexp: `^https://issuer\.example$`}), "", "https://ci.example/team/build"},
		{"keyless wrong identity", img("wrong-identity"), ident(good), verify.ClassUntrusted, "mallory@evil.example"},
		{"keyless wrong issuer", img("wrong-issuer"), ident(good), verify.ClassUntrusted, "https://evil.example"},
		{"keyless wrong CA", img("wrong-ca"), ident(good), verify.ClassUntrusted, "wrong-ca intermediate"},
		{"keyless expired certificate", img("expired"), ident(good), verify.ClassUntrusted, "expired"},
		{"keyless without identities", img("keyless"), ident(), verify.ClassPolicy, "identity"},
		{"keyless signature, key rule", img("keyless"), keys("", team), verify.ClassUntrusted, subject},
		{"registry down", downHost + "/team/signed:v1", keys("", team), verify.ClassUnverifiable, "unreachable"},
		{"tag not found", reg.Host + "/team/nothing:v1", keys("", team), verify.ClassUnverifiable, "not found"},
		{"missing key file", img("signed"), verify.SigRule{Keys: []string{dir + "/nope.pub"}}, verify.ClassPolicy, "nope.pub"},
		{"no keys at all", img("signed"), verify.SigRule{}, verify.ClassPolicy, "no keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := verifyBoth(t, verify.SigRequest{Reference: tc.ref, Rule: tc.rule})
			if tc.class == "" {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if !strings.HasPrefix(resp.Digest, "sha256:") {
					t.Errorf("digest = %q", resp.Digest)
				}
				if got := strings.Join(resp.Signers, "; "); !strings.Contains(got, tc.signers) {
					t.Errorf("signers = %q, want %q in it", got, tc.signers)
				}
				return
			}
			t.Log(err)
			var se *verify.SigError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want a *verify.SigError of class %s", err, err, tc.class)
			}
			if se.Class != tc.class || !errors.Is(err, &verify.SigError{Class: tc.class}) {
				t.Errorf("class = %s, want %s: %v", se.Class, tc.class, err)
			}
			if !strings.Contains(err.Error(), tc.signers) {
				t.Errorf("message %q does not say %q", err.Error(), tc.signers)
			}
		})
	}
}

// A verification is cached by (digest, rule); a failure never is; a replaced key file is a
// different rule.
func TestVerifyCache(t *testing.T) {
	dir := t.TempDir()
	reg := sigtest.NewRegistry(t)
	team := sigtest.NewKey(t, dir, "team")
	d := sigtest.PushRandom(t, reg.Host+"/team/app:v1")
	rule := verify.SigRule{Keys: []string{team.PubPath}}
	req := verify.SigRequest{Reference: reg.Host + "/team/app:v1", Rule: rule, CacheDir: t.TempDir()}
	var v Verifier
	if _, err := v.Verify(context.Background(), req); !errors.Is(err, verify.ErrUnsigned) {
		t.Fatalf("unsigned: err = %v", err)
	}
	sigtest.Sign(t, d, team.Signer, sigtest.SignOptions{})
	resp, err := v.Verify(context.Background(), req)
	if err != nil || resp.Cached {
		t.Fatalf("first signed check: cached=%v err=%v (a failure must not have been cached)", resp.Cached, err)
	}
	resp, err = v.Verify(context.Background(), req)
	if err != nil || !resp.Cached || resp.Digest != d.DigestStr() {
		t.Fatalf("second check: %+v, %v; want a cache hit for %s", resp, err, d.DigestStr())
	}
	other := sigtest.NewKey(t, dir, "team") // overwrites team.pub with another key
	_ = other
	if _, err := v.Verify(context.Background(), req); !errors.Is(err, verify.ErrUntrusted) {
		t.Fatalf("after replacing the key file: err = %v, want untrusted", err)
	}
}
