package defaults

import "strings"

// DockerSocket names the images whose containers may ask for the daemon's socket
// (runtime.docker_socket.images): Testcontainers' Ryuk, CI runners, build tools. The API door
// gives such a container a policed socket of its own in place of the daemon's, so everything it
// creates meets the same policy; every other image is refused the socket as before.
type DockerSocket struct {
	Images []string `yaml:"images"`
	// Policed is the path of the policed socket `sdocker proxy` serves for containers (made
	// when the proxy starts): the CLI door gives it, in place of the daemon's, to the containers
	// of the images named; "" gives none at the CLI door (the API door always has its own).
	Policed string `yaml:"policed"`
}

// MayHaveDockerSocket reports whether an image may ask for the daemon's socket. A pattern
// NAME@sha256:HEX names one image: the image's ID or one of its repo digests must be that
// digest, so a retagged image is not the one named. Any other pattern matches by name, as
// exceptions do.
func (d DockerSocket) MayHaveDockerSocket(image string, facts ImageFacts) bool {
	for _, p := range d.Images {
		name, digest, pinned := strings.Cut(p, "@")
		if !pinned {
			if MatchImage(p, image) {
				return true
			}
			continue
		}
		if !MatchImage(name, image) && !strings.HasPrefix(image, "sha256:") {
			continue
		}
		if facts.ID == digest {
			return true
		}
		for _, rd := range facts.RepoDigests {
			repo, d, _ := strings.Cut(rd, "@")
			if d == digest && MatchImage(name, repo) {
				return true
			}
		}
	}
	return false
}
