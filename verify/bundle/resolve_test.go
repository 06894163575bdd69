package bundle

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"sdocker/verify"
	"sdocker/verify/sig/sigtest"
)

// rawManifest is a manifest pushed with the media type given, whatever its body says.
type rawManifest struct {
	body []byte
	mt   types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.body, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

func TestResolve(t *testing.T) {
	reg := sigtest.NewRegistry(t)
	img := sigtest.PushRandom(t, reg.Host+"/r/image:1")

	a, _ := random.Image(64, 1)
	b, _ := random.Image(64, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}}},
		mutate.IndexAddendum{Add: b, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	idxRef, _ := name.ParseReference(reg.Host + "/r/index:1")
	if err := remote.WriteIndex(idxRef, idx); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := idx.Digest()
	aDigest, _ := a.Digest()
	// The same index body, served as if it were an image manifest.
	body, _ := idx.RawManifest()
	disguised, _ := name.ParseReference(reg.Host + "/r/index:disguised")
	if err := remote.Put(disguised, rawManifest{body, types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, ref  string
		wantDigest string
		wantIndex  bool
		wantErr    error
	}{
		{"an image by tag", reg.Host + "/r/image:1", img.DigestStr(), false, nil},
		{"an image by digest", img.String(), img.DigestStr(), false, nil},
		{"an index by tag", idxRef.String(), idxDigest.String(), true, nil},
		{"an index by digest", idxRef.Context().Digest(idxDigest.String()).String(), idxDigest.String(), true, nil},
		{"an index served as an image manifest is an index", disguised.String(), idxDigest.String(), true, nil},
		{"not found", reg.Host + "/r/nothing:1", "", false, verify.ErrUnverifiable},
		{"a bad reference", "UPPER/Case", "", false, verify.ErrPolicy},
	}
	var v Verifier
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := v.Resolve(context.Background(), verify.ResolveRequest{Reference: tc.ref})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Resolve = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || resp.Digest != tc.wantDigest || resp.IsIndex() != tc.wantIndex {
				t.Fatalf("Resolve = %+v, %v; want %s, index %v", resp, err, tc.wantDigest, tc.wantIndex)
			}
			if tc.wantIndex {
				if len(resp.Manifests) != 2 || resp.Manifests[0].Digest != aDigest.String() ||
					resp.Manifests[0].Platform == nil || resp.Manifests[0].Platform.Variant != "v3" || !resp.Manifests[0].IsImage() {
					t.Errorf("children = %+v", resp.Manifests)
				}
			}
		})
	}
}
