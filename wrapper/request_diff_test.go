package wrapper_test

import (
	"fmt"
	"math/big"
	"os"
	"reflect"
	"testing"

	"github.com/docker/cli/opts"
	"github.com/moby/moby/api/types/mount"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// The CLI door reads sizes, CPU counts and --mount specs itself; these tests hold its reading
// to docker/cli's own opts (a test-only import: the binaries do not link it). Where docker
// accepts a value, sdocker must read the same thing; where docker refuses one, what sdocker
// reads does not matter (docker runs nothing).

func flagValue(t *testing.T, flag, value string) (defaults.Request, error) {
	t.Helper()
	inv, err := wrapper.Parse([]string{"run", flag, value, "img"})
	if err != nil {
		t.Fatalf("parse %s %s: %v", flag, value, err)
	}
	cwd, _ := os.Getwd()
	return wrapper.Request(inv, wrapper.RequestInput{Cwd: cwd})
}

var sizes = []string{"0", "1", "1b", "1k", "1K", "512m", "1g", "1.5g", "2G", "1t", "8g", "1024", "-1", "1e3", "0x10", "1gb",
	"1GiB", " 1g", "1g ", "", "1.g", ".5g", "9999999999999999999", "1p", "1m1"}

func TestMemoryReadAsDockerReadsIt(t *testing.T) {
	for _, v := range sizes {
		var want opts.MemBytes
		wantErr := want.Set(v)
		r, err := flagValue(t, "--memory", v)
		switch {
		case wantErr != nil:
			continue
		case err != nil:
			t.Errorf("--memory %q: docker reads %d, sdocker refuses: %v", v, want.Value(), err)
		case r.Memory.Value != want.Value():
			t.Errorf("--memory %q: docker reads %d, sdocker %d", v, want.Value(), r.Memory.Value)
		}
		var swap opts.MemSwapBytes
		wantErr = swap.Set(v)
		r, err = flagValue(t, "--memory-swap", v)
		switch {
		case wantErr != nil:
		case err != nil:
			t.Errorf("--memory-swap %q: docker reads %d, sdocker refuses: %v", v, swap.Value(), err)
		case r.MemorySwap.Value != swap.Value():
			t.Errorf("--memory-swap %q: docker reads %d, sdocker %d", v, swap.Value(), r.MemorySwap.Value)
		}
	}
}

func TestCPUsReadAsDockerReadsThem(t *testing.T) {
	for _, v := range []string{"1", "0.5", "1.5", "3/2", "8/1", "1e1", "0", "-1", "0.0000000001", "1.000000001", "4", "4.0000000001",
		"1/3", "abc", "", "2e-9", "0x10", "9223372036", "9223372037"} {
		var want opts.NanoCPUs
		wantErr := want.Set(v)
		r, err := flagValue(t, "--cpus", v)
		rat, _ := new(big.Rat).SetString(v)
		overflow := rat != nil && !new(big.Rat).Mul(rat, big.NewRat(1e9, 1)).Num().IsInt64()
		switch {
		case wantErr != nil:
		case overflow:
			// docker wraps a count beyond int64 nano-CPUs into another number; sdocker refuses it.
			if err == nil {
				t.Errorf("--cpus %q: beyond int64 nano-CPUs, read as %d", v, r.NanoCPUs.Value)
			}
		case err != nil:
			t.Errorf("--cpus %q: docker reads %d, sdocker refuses: %v", v, want.Value(), err)
		case r.NanoCPUs.Value != want.Value():
			t.Errorf("--cpus %q: docker reads %d, sdocker %d", v, want.Value(), r.NanoCPUs.Value)
		}
	}
}

// mountSpecs are --mount values, good and bad, in the spellings people (and attackers) use.
var mountSpecs = []string{
	"type=bind,src=/etc,dst=/e", "type=bind,source=/etc,target=/e,readonly", "type=bind,src=/etc,dst=/e,ro=true",
	"type=bind,src=/etc,dst=/e,ro=false", "type=bind,src=/etc,dst=/e,readonly=0", "type=bind,src=/etc,dst=/e,readonly=1",
	"Type=Bind,Src=/etc,Dst=/e", `"type=bind","src=/etc",dst=/e`, `type=bind,"source=/run/docker.sock",target=/s`,
	"type=bind,src=./data,dst=/d", "type=bind,src=/,dst=/h,bind-propagation=rshared", "type=bind,src=/mnt,dst=/m,bind-propagation=SHARED",
	"src=/etc,dst=/e", "type=volume,src=v,dst=/v", "type=volume,src=v,dst=/v,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc",
	"type=volume,src=v,dst=/v,volume-subpath=sub", "type=tmpfs,dst=/t", "type=bind,src=/etc,dst=/e,readonly=TRUE",
	"type=bind, src=/etc,dst=/e", "type=bind,src= /etc,dst=/e", "type=bind,src=/etc,dst=/e,bind-recursive=writable,ro",
	"type=image,src=img,dst=/i", "type=bind,src=/etc,src=/tmp,dst=/e", "type=bind,dst=/e,src=/etc,type=volume",
}

func TestMountsReadAsDockerReadsThem(t *testing.T) {
	for _, spec := range mountSpecs {
		t.Run(spec, func(t *testing.T) {
			var o opts.MountOpt
			if err := o.Set(spec); err != nil {
				return // docker refuses it: nothing is created
			}
			want := o.Value()[0]
			r, err := flagValue(t, "--mount", spec)
			if err != nil {
				t.Fatalf("docker reads %+v, sdocker refuses: %v", want, err)
			}
			got := r.Mounts[0]
			if string(want.Type) != got.Type {
				t.Fatalf("type: docker %q, sdocker %q", want.Type, got.Type)
			}
			if want.Type != mount.TypeBind && want.Type != mount.TypeVolume {
				return // nothing of the host's filesystem
			}
			wantOpts, driver, subpath := map[string]string{}, "", ""
			if vo := want.VolumeOptions; vo != nil {
				subpath = vo.Subpath
				if vo.DriverConfig != nil {
					driver = vo.DriverConfig.Name
					for k, v := range vo.DriverConfig.Options {
						wantOpts[k] = v
					}
				}
			}
			propagation := ""
			if want.BindOptions != nil {
				propagation = string(want.BindOptions.Propagation)
			}
			gotOpts := map[string]string{}
			for k, v := range got.Options {
				gotOpts[k] = v
			}
			w := fmt.Sprintf("%s|%s|%v|%s|%s|%s", want.Source, want.Target, want.ReadOnly, propagation, driver, subpath)
			g := fmt.Sprintf("%s|%s|%v|%s|%s|%s", got.Source, got.Target, got.ReadOnly, got.Propagation, got.Driver, got.Subpath)
			if w != g || !reflect.DeepEqual(wantOpts, gotOpts) {
				t.Fatalf("docker reads %s %v, sdocker %s %v", w, wantOpts, g, gotOpts)
			}
		})
	}
}

func FuzzMountReadAsDockerReadsIt(f *testing.F) {
	for _, s := range mountSpecs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		var o opts.MountOpt
		if err := o.Set(spec); err != nil {
			return
		}
		want := o.Value()[0]
		if want.Type != mount.TypeBind && want.Type != mount.TypeVolume {
			return
		}
		inv, err := wrapper.Parse([]string{"run", "--mount", spec, "img"})
		if err != nil {
			return
		}
		cwd, _ := os.Getwd()
		r, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: cwd})
		if err != nil {
			t.Fatalf("%q: docker accepts it, sdocker refuses: %v", spec, err)
		}
		got := r.Mounts[0]
		if got.Source != want.Source || got.Type != string(want.Type) || (want.ReadOnly && !got.ReadOnly) {
			t.Fatalf("%q: docker reads %s %q ro=%v, sdocker %s %q ro=%v", spec, want.Type, want.Source, want.ReadOnly, got.Type, got.Source, got.ReadOnly)
		}
	})
}
