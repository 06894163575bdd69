package engineapi

import (
	"net/url"
	"strconv"

	"sdocker/defaults"
)

// BuildRequest reads a classic build's query (POST /build) as the decision's request, under
// its tag t: each RUN step is a container with the build's network, cgroup parent and limits
// (networkmode, cgroupparent, memory, memswap, cpuquota, cpuperiod, the first of each, as
// the daemon's FormValue reads them). A limit the daemon cannot parse it reads as 0: none.
func BuildRequest(q url.Values) defaults.Request {
	r := defaults.Request{Kind: defaults.KindBuild, Image: q.Get("t")}
	if m := q.Get("networkmode"); m != "" {
		r.Networks = []defaults.Val[string]{{Value: m, From: "networkmode=" + m}}
	}
	if c := q.Get("cgroupparent"); c != "" {
		r.CgroupParent = &defaults.Val[string]{Value: c, From: "cgroupparent=" + c}
	}
	num := func(key string) *defaults.Val[int64] {
		v := q.Get(key)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n == 0 {
			return nil
		}
		return &defaults.Val[int64]{Value: n, From: key + "=" + v}
	}
	r.Memory, r.MemorySwap, r.CPUQuota, r.CPUPeriod = num("memory"), num("memswap"), num("cpuquota"), num("cpuperiod")
	return r
}

// NetworkCreate is what the decision reads of a POST /networks/create body.
type NetworkCreate struct {
	Name    string
	Driver  string
	Options map[string]string
}

// Request is the network create as the decision's request.
func (n NetworkCreate) Request() defaults.Request {
	return defaults.Request{Kind: defaults.KindNetwork, NetworkCreate: &defaults.NetworkSpec{Name: n.Name, Driver: n.Driver,
		Options: n.Options, From: "POST /networks/create " + n.Name}}
}
