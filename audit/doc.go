// Package audit checks the daemon side of a Docker installation: the daemon's configuration
// and live state, the host (socket, docker group, DOCKER_HOST), the versions of engine,
// containerd and runc against known escapes, and existing containers against the runtime
// policy. It renders findings as text, JSON or SARIF. It also creates the TLS material that
// lets dockerd verify its clients (TLSInit).
package audit
