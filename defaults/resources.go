package defaults

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
)

func (d *decider) resources(inject bool) {
	res := d.p.Runtime.Resources
	hint := func(what string) string {
		return fmt.Sprintf("ask for at most %s, or %s", what, exceptionHint(RuleResources))
	}
	if s := d.r.Memory; s != nil {
		if b, err := units.RAMInBytes(s.Value); err == nil {
			switch {
			case b <= 0:
				d.refuse(RuleResources, s.Typed, hint(res.MaxMemory.String()), "a memory limit of %s means unlimited", s.Value)
			case res.MaxMemory > 0 && b > int64(res.MaxMemory):
				d.refuse(RuleResources, s.Typed, hint(res.MaxMemory.String()), "memory %s is above the policy's maximum of %s", s.Value, res.MaxMemory)
			}
		}
	} else if inject && res.Memory > 0 {
		d.add("memory", res.Memory.String(), "memory limit (guide §10)")
	}
	if s := d.r.MemorySwap; s != nil && strings.TrimSpace(s.Value) == "-1" {
		d.refuse(RuleResources, s.Typed, "set --memory-swap to a size, or leave it out", "--memory-swap -1 means unlimited swap")
	}
	d.cpus(inject, hint(strconv.FormatFloat(res.MaxCPUs, 'g', -1, 64)+" CPUs"))
	if s := d.r.PidsLimit; s != nil {
		if n, err := parseInt(s.Value); err == nil {
			switch {
			case n <= 0:
				d.refuse(RuleResources, s.Typed, hint(strconv.FormatInt(res.MaxPids, 10)+" processes"), "a pids limit of %d means unlimited", n)
			case res.MaxPids > 0 && n > res.MaxPids:
				d.refuse(RuleResources, s.Typed, hint(strconv.FormatInt(res.MaxPids, 10)+" processes"), "pids limit %d is above the policy's maximum of %d", n, res.MaxPids)
			}
		}
	} else if inject && res.Pids > 0 {
		d.add("pids-limit", strconv.FormatInt(res.Pids, 10), "process limit against fork bombs (guide §10)")
	}
}

func (d *decider) cpus(inject bool, hint string) {
	res := d.p.Runtime.Resources
	tooMany := func(s *Setting, n float64) {
		if res.MaxCPUs > 0 && n > res.MaxCPUs {
			d.refuse(RuleResources, s.Typed, hint, "%g CPUs is above the policy's maximum of %g", n, res.MaxCPUs)
		}
	}
	period := 100000.0
	if s := d.r.CPUPeriod; s != nil {
		if n, err := parseInt(s.Value); err == nil && n > 0 {
			period = float64(n)
		}
	}
	// --cpus and --cpu-quota are both applied when both are given: each must be a limit.
	if s := d.r.CPUs; s != nil {
		if n, err := parseCPUs(s.Value); err == nil {
			if n <= 0 {
				d.refuse(RuleResources, s.Typed, hint, "a CPU limit of %s means unlimited", s.Value)
			}
			tooMany(s, n)
		}
	}
	if s := d.r.CPUQuota; s != nil {
		if n, err := parseInt(s.Value); err == nil {
			if n <= 0 {
				d.refuse(RuleResources, s.Typed, hint, "a CPU quota of %s means unlimited", s.Value)
			}
			tooMany(s, float64(n)/period)
		}
	}
	switch {
	case d.r.CPUs != nil, d.r.CPUQuota != nil, !inject, res.CPUs <= 0:
	case d.r.CPUPeriod != nil:
		// docker refuses --cpus beside --cpu-period: express the limit as a quota instead.
		d.add("cpu-quota", strconv.FormatInt(int64(res.CPUs*period), 10), "CPU limit (guide §10)")
	default:
		d.add("cpus", strconv.FormatFloat(res.CPUs, 'f', -1, 64), "CPU limit (guide §10)")
	}
}

// parseInt reads an integer flag the way pflag's int flags do: base prefixes (0x…, 0o…, 0b…)
// included, so that --pids-limit 0x7fffffff is read as the number docker will use.
func parseInt(v string) (int64, error) { return strconv.ParseInt(v, 0, 64) }

// parseCPUs reads --cpus the way docker does (a big.Rat: "1.5", "3/2", "1e1").
func parseCPUs(v string) (float64, error) {
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return 0, fmt.Errorf("invalid CPU count %q", v)
	}
	f, _ := r.Float64()
	return f, nil
}
