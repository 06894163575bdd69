package defaults

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ExtendList is a policy list of denials or drops: a policy file's list adds to the embedded
// default's, so that naming one more denied path never drops docker.sock from the list. A
// list tagged !replace replaces the default's, and `policy check` says what it drops.
type ExtendList []string

// replaceTag marks a list that replaces the default's instead of extending it.
const replaceTag = "!replace"

// UnmarshalYAML implements yaml.Unmarshaler; the receiver holds the default's list.
func (l *ExtendList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: expected a list, got %s", n.Line, kindName(n))
	}
	var items []string
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: expected a list of strings, got %s", c.Line, kindName(c))
		}
		items = append(items, c.Value)
	}
	if n.Tag == replaceTag {
		*l = items
		return nil
	}
	for _, it := range items {
		if !slices.Contains(*l, it) {
			*l = append(*l, it)
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// extendLists are the lists that extend the default's, by their keys.
var extendLists = []struct {
	path []string
	get  func(*Policy) []string
}{
	{[]string{"runtime", "capabilities", "drop"}, func(p *Policy) []string { return p.Runtime.Capabilities.Drop }},
	{[]string{"runtime", "deny", "mounts"}, func(p *Policy) []string { return p.Runtime.Deny.Mounts }},
	{[]string{"runtime", "deny", "writable_mounts"}, func(p *Policy) []string { return p.Runtime.Deny.WritableMounts }},
}

// weakenings says, line by line, where a policy file is weaker than the embedded default: a
// !replace list that drops the default's entries, and settings turned off that the default
// turns on.
func weakenings(root *yaml.Node, p, def *Policy) []string {
	var out []string
	at := func(path []string) string {
		if n := keyLine(root, path); n > 0 {
			return fmt.Sprintf("line %d: ", n)
		}
		return ""
	}
	for _, l := range extendLists {
		n := nodeAt(root, l.path)
		if n == nil || n.Tag != replaceTag {
			continue
		}
		var dropped []string
		for _, d := range l.get(def) {
			if !slices.Contains(l.get(p), d) {
				dropped = append(dropped, d)
			}
		}
		if len(dropped) > 0 {
			out = append(out, fmt.Sprintf("%s%s: !replace drops the default's %s", at(l.path), strings.Join(l.path, "."), strings.Join(dropped, ", ")))
		}
	}
	for i, e := range p.Exceptions {
		if len(e.Digests) == 0 && len(e.Allow) > 0 {
			out = append(out, fmt.Sprintf("line %d: exceptions[%d]: allows %s to any image named like %s, whatever it holds: bind it to content with digests: [sha256:…]",
				e.Line, i, strings.Join(e.Allow, ", "), e.Match))
		}
	}
	for _, w := range []struct {
		path []string
		weak bool
		what string
	}{
		{[]string{"mode"}, p.Mode == ModeWarn && def.Mode != ModeWarn, "warn: nothing is refused"},
		{[]string{"runtime", "no_new_privileges"}, !p.Runtime.NoNewPrivileges && def.Runtime.NoNewPrivileges, "off: setuid binaries can gain privileges"},
		{[]string{"runtime", "deny", "privileged"}, !p.Runtime.Deny.Privileged && def.Runtime.Deny.Privileged, "off: privileged containers are allowed"},
		{[]string{"runtime", "deny", "host_namespaces"}, !p.Runtime.Deny.HostNamespaces && def.Runtime.Deny.HostNamespaces, "off: the host's namespaces are allowed"},
		{[]string{"runtime", "deny", "devices"}, !p.Runtime.Deny.Devices && def.Runtime.Deny.Devices, "off: host devices are allowed"},
		{[]string{"runtime", "deny", "cgroup_parent"}, !p.Runtime.Deny.CgroupParent && def.Runtime.Deny.CgroupParent, "off: any cgroup parent is allowed"},
		{[]string{"runtime", "network", "allow_default_bridge"}, p.Runtime.Network.AllowDefaultBridge && !def.Runtime.Network.AllowDefaultBridge, "on: containers may share the default bridge"},
		{[]string{"runtime", "network", "isolate"}, !p.Runtime.Network.Isolate && def.Runtime.Network.Isolate, "off: containers on the default network reach each other"},
		{[]string{"runtime", "cgroupns"}, p.Runtime.CgroupNS == "" && def.Runtime.CgroupNS != "", "empty: containers share the host's cgroup namespace"},
		{[]string{"daemon", "insecure_allow_tcp_without_tls"}, p.Daemon.InsecureAllowTCPWithoutTLS, "on: sdocker talks to daemons without TLS"},
		{[]string{"runtime", "network", "publish_address"}, p.Runtime.Network.PublishAddress == "" && def.Runtime.Network.PublishAddress != "",
			"empty: ports published without an address are reachable from the network"},
		{[]string{"runtime", "docker_socket", "images"}, len(p.Runtime.DockerSocket.Images) > len(def.Runtime.DockerSocket.Images),
			"containers of " + strings.Join(p.Runtime.DockerSocket.Images, ", ") + " get a policed Docker API socket: what they create is decided, " +
				"but they can list, inspect, exec into and stop other containers"},
	} {
		if w.weak {
			out = append(out, fmt.Sprintf("%s%s: %s (weaker than the default)", at(w.path), strings.Join(w.path, "."), w.what))
		}
	}
	return out
}

// nodeAt returns the value node of a key path, or nil.
func nodeAt(n *yaml.Node, path []string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}
