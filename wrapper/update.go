package wrapper

import (
	"context"
	"fmt"
	"net/url"

	"sdocker/defaults"
)

// WithCurrentLimits completes an update request for one container with the CPU settings it
// already has: docker update --cpu-period alone keeps the container's quota, so the limit that
// results is the old quota over the new period, and that is what the decision must judge.
func WithCurrentLimits(ctx context.Context, eng Getter, r defaults.Request, container string) (defaults.Request, error) {
	if r.CPUPeriod == nil && r.CPUQuota == nil {
		return r, nil
	}
	var c struct {
		HostConfig struct{ CpuQuota, CpuPeriod, NanoCpus int64 }
	}
	if err := eng.Get(ctx, "/containers/"+url.PathEscape(container)+"/json", &c); err != nil {
		return r, fmt.Errorf("inspecting container %s for its current CPU limits: %w", container, err)
	}
	hc := c.HostConfig
	if r.CPUQuota == nil && r.NanoCPUs == nil && hc.CpuQuota != 0 {
		r.CPUQuota = &defaults.Val[int64]{Value: hc.CpuQuota,
			From: fmt.Sprintf("%s (with %s's CPU quota of %d)", r.CPUPeriod.From, container, hc.CpuQuota)}
	}
	if r.CPUPeriod == nil && hc.CpuPeriod != 0 {
		r.CPUPeriod = &defaults.Val[int64]{Value: hc.CpuPeriod,
			From: fmt.Sprintf("%s's CPU period of %d", container, hc.CpuPeriod)}
	}
	return r, nil
}
