package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// snapshotAPI answers the Engine API's GETs that the CLI door's resolvers make
// (wrapper.ResolveDaemonRefs) from a snapshot: containers, networks and volumes by ID, unique ID
// prefix or name, as the daemon looks them up. The audit so follows `container:NAME`, a
// network named by ID and a named volume exactly as `sdocker run` does, without I/O.
type snapshotAPI struct{ s *Snapshot }

func (a snapshotAPI) Get(_ context.Context, p string, out any) error {
	kind, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	ref, err := url.PathUnescape(strings.TrimSuffix(rest, "/json"))
	if err != nil {
		return wrapper.ErrNotFound
	}
	var found any
	switch kind {
	case "containers":
		if c, ok := a.container(ref); ok {
			found = c
		}
	case "networks":
		for _, n := range a.s.Networks {
			if n.ID == ref || n.Name == ref || len(ref) >= 3 && strings.HasPrefix(n.ID, ref) {
				found = n
				break
			}
		}
	case "volumes":
		return volumeAnswers(a.s.Volumes).Get(context.Background(), p, out)
	}
	if found == nil {
		return wrapper.ErrNotFound
	}
	data, err := json.Marshal(found)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// container finds a container by full ID, name, or an ID prefix that names one container only.
func (a snapshotAPI) container(ref string) (Container, bool) {
	var prefixed []Container
	for _, c := range a.s.Containers {
		if c.ID == ref || strings.TrimPrefix(c.Name, "/") == strings.TrimPrefix(ref, "/") {
			return c, true
		}
		if ref != "" && strings.HasPrefix(c.ID, ref) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], true
	}
	return Container{}, false
}

// resolveShared makes the namespaces a request shares with another container (network, PID,
// IPC `container:X`) and the networks it names by ID say what they are, through the snapshot's
// other containers and networks, as the CLI door resolves them through the daemon. A chain
// that cannot be followed (a container the snapshot lacks) is an error naming it.
func resolveShared(r *defaults.Request, s *Snapshot) error {
	ns := defaults.Request{Kind: r.Kind, Networks: r.Networks, PID: r.PID, IPC: r.IPC}
	if err := wrapper.ResolveDaemonRefs(context.Background(), snapshotAPI{s}, &ns); err != nil {
		return fmt.Errorf("following the namespaces it shares: %w", err)
	}
	r.Networks, r.PID, r.IPC = ns.Networks, ns.PID, ns.IPC
	// The daemon stores container:ID; the chain reads better by the containers' names.
	named := func(from string) string {
		for _, c := range s.Containers {
			name := strings.TrimPrefix(c.Name, "/")
			from = strings.ReplaceAll(from, "("+c.ID+" ", "("+name+" ")
			from = strings.ReplaceAll(from, " → "+c.ID+" ", " → "+name+" ")
		}
		return from
	}
	for i := range r.Networks {
		r.Networks[i].From = named(r.Networks[i].From)
	}
	for _, v := range []*defaults.Val[string]{r.PID, r.IPC} {
		if v != nil {
			v.From = named(v.From)
		}
	}
	return nil
}
