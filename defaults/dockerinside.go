package defaults

// daemonImages run a Docker daemon of their own inside the container, which is why they ask
// for privileged mode: docker-in-docker (GitLab's dind services) and the CI plugins built on it
// (Drone's publishing plugins, privileged by default in its runner; Woodpecker's buildx plugin).
// The docker image counts whatever its tag: the GitLab runner names a service's image by its
// digest (docker@sha256:…), and only its dind variants want privileged mode.
var daemonImages = []string{
	"docker",
	"**/docker",
	"plugins/docker", "plugins/acr", "plugins/ecr", "plugins/gcr", "plugins/gar", "plugins/heroku",
	"woodpeckerci/plugin-docker-buildx",
}

// runsDaemon reports whether an image runs a Docker daemon of its own.
func runsDaemon(image string) bool {
	for _, p := range daemonImages {
		if MatchImage(p, image) {
			return true
		}
	}
	return false
}

// daemonHint is what to do instead of a privileged daemon in a container: use the host's
// daemon through a policed socket, where everything the job builds and runs is decided too.
const daemonHint = "instead of a Docker daemon of its own, give the job the docker socket " +
	"(bind /var/run/docker.sock, with DOCKER_HOST=unix:///var/run/docker.sock): through sdocker proxy the image gets " +
	"a policed socket (runtime.docker_socket), so what it builds and runs is decided by the same policy; or "
