package defaults

import (
	"fmt"
	"strconv"
)

func (d *decider) resources() {
	res := d.p.Runtime.Resources
	inject := d.creates()
	hint := func(what string) string {
		return fmt.Sprintf("ask for at most %s, or %s", what, exceptionHint(RuleResources))
	}
	if s := d.r.Memory; s != nil {
		switch b := s.Value; {
		case b <= 0:
			d.refuse(RuleResources, FieldMemory, s.From, hint(res.MaxMemory.String()), "a memory limit of %s means unlimited", quantity(s))
		case res.MaxMemory > 0 && b > int64(res.MaxMemory):
			d.refuse(RuleResources, FieldMemory, s.From, hint(res.MaxMemory.String()), "memory %s is above the policy's maximum of %s", quantity(s), res.MaxMemory)
		}
	} else if inject && res.Memory > 0 {
		d.add(Addition{Field: FieldMemory, Rule: RuleResources, Int: int64(res.Memory), Reason: "memory limit (guide §10)"})
	}
	if s := d.r.MemorySwap; s != nil && s.Value == -1 {
		d.refuse(RuleResources, FieldMemorySwap, s.From, "set {MemorySwap} to a size, or leave it out", "{MemorySwap} -1 means unlimited swap")
	} else if s != nil && res.MaxMemory > 0 && s.Value > int64(res.MaxMemory) {
		d.refuse(RuleResources, FieldMemorySwap, s.From, hint(res.MaxMemory.String()),
			"memory and swap of %s is above the policy's maximum of %s (max_memory bounds memory and swap alike)", quantity(s), res.MaxMemory)
	}
	if s := d.r.ShmSize; s != nil && res.MaxMemory > 0 && s.Value > int64(res.MaxMemory) {
		d.refuse(RuleResources, FieldShmSize, s.From, hint(res.MaxMemory.String()), "a /dev/shm of %s is above the policy's maximum memory of %s", quantity(s), res.MaxMemory)
	}
	if s := d.r.OomScoreAdj; s != nil && s.Value < 0 {
		d.refuse(RuleResources, FieldOomScoreAdj, s.From, "leave {OomScoreAdj} out, or set it to 0 or more, or "+exceptionHint(RuleResources),
			"an OOM score adjustment of %d makes the kernel kill the host's processes before the container's when memory runs out", s.Value)
	}
	d.cpus(inject, hint(strconv.FormatFloat(res.MaxCPUs, 'g', -1, 64)+" CPUs"))
	if s := d.r.PidsLimit; s != nil {
		n := s.Value
		switch {
		case n <= 0:
			d.refuse(RuleResources, FieldPidsLimit, s.From, hint(strconv.FormatInt(res.MaxPids, 10)+" processes"), "a pids limit of %d means unlimited", n)
		case res.MaxPids > 0 && n > res.MaxPids:
			d.refuse(RuleResources, FieldPidsLimit, s.From, hint(strconv.FormatInt(res.MaxPids, 10)+" processes"), "pids limit %d is above the policy's maximum of %d", n, res.MaxPids)
		}
	} else if inject && res.Pids > 0 {
		d.add(Addition{Field: FieldPidsLimit, Rule: RuleResources, Int: res.Pids, Reason: "process limit against fork bombs (guide §10)"})
	}
}

// quantity renders a size for messages, as a user writes it ("16g"; "0"; "-1").
func quantity(s *Val[int64]) string {
	if s.Value <= 0 {
		return strconv.FormatInt(s.Value, 10)
	}
	return ByteSize(s.Value).String()
}

func (d *decider) cpus(inject bool, hint string) {
	res := d.p.Runtime.Resources
	tooMany := func(s *Val[int64], n float64) {
		if res.MaxCPUs > 0 && n > res.MaxCPUs {
			d.refuse(RuleResources, FieldNanoCPUs, s.From, hint, "%g CPUs is above the policy's maximum of %g", n, res.MaxCPUs)
		}
	}
	period := 100000.0
	if s := d.r.CPUPeriod; s != nil && s.Value > 0 {
		period = float64(s.Value)
	}
	// NanoCpus and CpuQuota are both applied when both are given: each must be a limit.
	if s := d.r.NanoCPUs; s != nil {
		if s.Value <= 0 {
			d.refuse(RuleResources, FieldNanoCPUs, s.From, hint, "a CPU limit of %s means unlimited", cpuQuantity(s))
		}
		tooMany(s, float64(s.Value)/1e9)
	}
	if s := d.r.CPUQuota; s != nil {
		if s.Value <= 0 {
			d.refuse(RuleResources, FieldCPUQuota, s.From, hint, "a CPU quota of %d means unlimited", s.Value)
		}
		tooMany(s, float64(s.Value)/period)
	}
	switch {
	case d.r.NanoCPUs != nil, d.r.CPUQuota != nil, !inject, res.CPUs <= 0:
	case d.r.CPUPeriod != nil:
		// The daemon refuses NanoCpus beside CpuPeriod: express the limit as a quota instead.
		d.add(Addition{Field: FieldCPUQuota, Rule: RuleResources, Int: int64(res.CPUs * period), Reason: "CPU limit (guide §10)"})
	default:
		d.add(Addition{Field: FieldNanoCPUs, Rule: RuleResources, Int: int64(res.CPUs * 1e9), Reason: "CPU limit (guide §10)"})
	}
}

func cpuQuantity(s *Val[int64]) string {
	return strconv.FormatFloat(float64(s.Value)/1e9, 'f', -1, 64)
}
