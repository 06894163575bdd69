package audit

import (
	"fmt"
	"strings"
)

func checkHost(s *Snapshot) []Finding {
	var out []Finding
	add := func(id string, sev Severity, evidence, fix string) {
		out = append(out, finding(id, sev, "host", evidence, fix))
	}
	_, rootless := s.Info.securityOption("rootless")
	if f := s.Host.Socket; f != nil && !rootless {
		if f.UID != 0 {
			add("CIS-3.15", High, fmt.Sprintf("%s is owned by %s: that user is root on this host", f.Path, f.Owner),
				"chown root:docker "+f.Path+" (or start dockerd with -G docker)")
		}
		if f.GID != 0 && f.Group != "docker" {
			add("CIS-3.15", Medium, fmt.Sprintf("%s belongs to group %s: its members are root on this host", f.Path, f.Group),
				"chown root:docker "+f.Path+" (or start dockerd with -G docker)")
		}
		switch perm := f.Mode.Perm(); {
		case perm&0o002 != 0:
			add("CIS-3.16", Critical, fmt.Sprintf("%s has mode %04o: every user of this host can use the daemon, and so is root", f.Path, perm),
				"chmod 660 "+f.Path)
		case perm&^0o660 != 0:
			add("CIS-3.16", Low, fmt.Sprintf("%s has mode %04o, wider than 660", f.Path, perm), "chmod 660 "+f.Path)
		}
	}
	if g := s.Host.DockerGroup; g != nil && len(g.Members) > 0 && s.Host.Local {
		add("CIS-1.1.2", Medium, fmt.Sprintf("members of the docker group (gid %d) can use the daemon and so are root on this host: %s",
			g.GID, strings.Join(g.Members, ", ")),
			"keep only administrators in the docker group (gpasswd -d USER docker); give others sdocker through sudo or a rootless daemon")
	}
	if _, tcp := tcpHost(s.Host.DockerHost); tcp && s.Host.DockerTLSVerify == "" {
		add("SD-DOCKER-HOST", High, fmt.Sprintf("DOCKER_HOST=%s without DOCKER_TLS_VERIFY: docker clients talk to the daemon in clear and trust whoever answers", s.Host.DockerHost),
			"export DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH with certificates from `sdocker tls init`, or use the unix socket")
	}
	return out
}
