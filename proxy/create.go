package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/moby/moby/api/types/container"

	"sdocker/defaults"
	"sdocker/engineapi"
)

// readCreate decodes a create body as the daemon does and describes it for the decision.
// NetworkMode "default" is what clients send (the docker CLI among them) when no network was
// asked for: the daemon's default, which the policy's default network replaces.
func readCreate(b []byte) (defaults.Request, error) {
	var cr container.CreateRequest
	if err := decodeStrict(b, &cr); err != nil {
		return defaults.Request{}, err
	}
	// Read as dockerd reads it: HostConfig's fields at the top level count too (20.10 creates a
	// privileged container from {"Image":…,"Privileged":true}).
	cfg, hc, nc, err := engineapi.DecodeCreate(b)
	if err != nil {
		return defaults.Request{}, err
	}
	req := engineapi.CreateRequest(cfg, hc, nc)
	var nets []defaults.Val[string]
	for _, n := range req.Networks {
		if n.Value != "default" {
			nets = append(nets, n)
		}
	}
	req.Networks = nets
	return req, nil
}

// applyCreate changes a create body as the decision says, in HostConfig terms: the same
// additions the CLI door renders as flags. Keys the body already has are found without regard
// to case, as the daemon's decoder finds them; every other member of the body is kept.
func applyCreate(b []byte, c defaults.Change, readFile func(string) ([]byte, error)) ([]byte, error) {
	body, err := decodeObject(b)
	if err != nil {
		return nil, err
	}
	hc, err := body.child("HostConfig")
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, from := range c.Remove {
		drop[from] = true
	}
	for _, a := range c.Add {
		if a.Replaces != "" {
			drop[a.Replaces] = true
		}
	}
	if len(drop) > 0 {
		opts, err := hc.list("SecurityOpt")
		if err != nil {
			return nil, err
		}
		var kept []any
		for _, o := range opts {
			if s, ok := o.(string); ok && drop[engineapi.SecurityOpt(s).From] {
				continue
			}
			kept = append(kept, o)
		}
		hc.set("SecurityOpt", kept)
	}
	if drop[engineapi.PublishAllFrom] {
		hc.set("PublishAllPorts", false) // nothing of the image's to publish: nothing published later
	}
	if c.Image != "" {
		body.set("Image", c.Image) // a content-bound exception: exactly the image judged
	}
	for _, a := range c.Add {
		switch a.Field {
		case defaults.FieldCapDrop:
			err = appendTo(hc, "CapDrop", a.Value)
		case defaults.FieldCapAdd:
			err = appendTo(hc, "CapAdd", a.Value)
		case defaults.FieldCgroupnsMode:
			hc.set("CgroupnsMode", a.Value)
		case defaults.FieldSecurityOpt:
			v := a.Value
			if a.Profile != nil || strings.HasPrefix(v, "seccomp=") {
				var profile []byte
				if profile, err = seccompJSON(a, readFile); err == nil {
					v = "seccomp=" + string(profile)
				}
			}
			if err == nil {
				err = appendTo(hc, "SecurityOpt", v)
			}
		case defaults.FieldNetworkMode:
			hc.set("NetworkMode", a.Value)
			if nc, ok := body.get("NetworkingConfig").(map[string]any); ok {
				if eps, ok := object(nc).get("EndpointsConfig").(map[string]any); ok {
					object(eps).del("default")
				}
			}
		case defaults.FieldMemory, defaults.FieldNanoCPUs, defaults.FieldCPUQuota, defaults.FieldPidsLimit:
			hc.set(string(a.Field), a.Int)
		case defaults.FieldPortBindings:
			err = applyPort(hc, a)
		case defaults.FieldMounts:
			err = applyMount(hc, a)
		case defaults.FieldLogConfig:
			var lc, cfg object
			if lc, err = hc.child("LogConfig"); err == nil {
				if cfg, err = lc.child("Config"); err == nil {
					k, v, _ := strings.Cut(a.Value, "=")
					cfg.set(k, v)
				}
			}
		default:
			err = fmt.Errorf("the policy adds %s, which the API door cannot apply", a.Field)
		}
		if err != nil {
			return nil, fmt.Errorf("applying %s: %w", a.Field, err)
		}
	}
	return encodeObject(body)
}

func appendTo(o object, name, v string) error {
	l, err := o.list(name)
	if err != nil {
		return err
	}
	o.set(name, append(l, v))
	return nil
}

// seccompJSON is the profile an addition applies, as the compact JSON the daemon reads inline:
// its bytes as checked, or the policy's profile file.
func seccompJSON(a defaults.Addition, readFile func(string) ([]byte, error)) ([]byte, error) {
	profile := a.Profile
	if profile == nil {
		if readFile == nil {
			readFile = os.ReadFile
		}
		var err error
		path := strings.TrimPrefix(a.Value, "seccomp=")
		if profile, err = readFile(path); err != nil {
			return nil, fmt.Errorf("reading the policy's seccomp profile: %w", err)
		}
	}
	var out bytes.Buffer
	if err := json.Compact(&out, profile); err != nil {
		return nil, fmt.Errorf("the seccomp profile is not JSON: %w", err)
	}
	return out.Bytes(), nil
}
