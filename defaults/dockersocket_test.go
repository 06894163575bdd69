package defaults

import "testing"

func TestMayHaveDockerSocket(t *testing.T) {
	const id = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	const other = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	for _, tc := range []struct {
		name, pattern, image string
		facts                ImageFacts
		want                 bool
	}{
		{"by name", "testcontainers/ryuk", "testcontainers/ryuk:0.11.0", ImageFacts{}, true},
		{"by name and tag glob", "testcontainers/ryuk:0.*", "docker.io/testcontainers/ryuk:0.11.0", ImageFacts{}, true},
		{"another name", "testcontainers/ryuk", "evil/ryuk:0.11.0", ImageFacts{}, false},
		{"digest: the image's ID", "ci/runner@" + id, "ci/runner:7", ImageFacts{ID: id}, true},
		{"digest: a repo digest", "ci/runner@" + id, "ci/runner:7", ImageFacts{ID: other, RepoDigests: []string{"ci/runner@" + id}}, true},
		{"digest: retagged", "ci/runner@" + id, "ci/runner:7", ImageFacts{ID: other, RepoDigests: []string{"ci/runner@" + other}}, false},
		{"digest: the repo digest of another repo", "ci/runner@" + id, "ci/runner:7", ImageFacts{ID: other, RepoDigests: []string{"evil/x@" + id}}, false},
		{"digest: asked by ID", "ci/runner@" + id, id, ImageFacts{ID: id}, true},
		{"digest: another name with that ID", "ci/runner@" + id, "evil/x:1", ImageFacts{ID: id}, false},
		{"digest: unknown image", "ci/runner@" + id, "ci/runner:7", ImageFacts{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (DockerSocket{Images: []string{tc.pattern}}).MayHaveDockerSocket(tc.image, tc.facts); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
