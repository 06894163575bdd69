package defaults_test

import (
	"reflect"
	"strings"
	"testing"

	"sdocker/defaults"
)

// Runtimes, cgroup parents, mount propagation, the cgroup namespace and the spelling of the log
// driver: each refused or added whatever way docker lets it be written.
func TestRuntimeRules(t *testing.T) {
	p := mustPolicy(t, "")
	facts := defaults.Facts{Known: true, SeccompBuiltin: true, LogDriver: "json-file", DefaultRuntime: "runc"}
	for _, tc := range []struct {
		name, argv string
		rules      []string
	}{
		{"default runtime named", "run --runtime runc img", []string{}},
		{"allowed runtime", "run --runtime=io.containerd.runc.v2 img", []string{}},
		{"another runtime", "run --runtime nvidia img", []string{"runtime"}},
		{"another runtime, case", "run --runtime RUNC img", []string{"runtime"}},
		{"cgroup parent", "run --cgroup-parent /system.slice img", []string{"cgroup-parent"}},
		{"cgroup parent of another container", "run --cgroup-parent=docker/abc img", []string{"cgroup-parent"}},
		{"rshared bind", "run -v /mnt:/mnt:rshared img", []string{"mounts"}},
		{"shared with ro", "run -v /mnt:/mnt:ro,shared img", []string{"mounts"}},
		{"shared by --mount", "run --mount type=bind,src=/mnt,dst=/m,bind-propagation=shared img", []string{"mounts"}},
		{"shared, upper case", "run --mount type=bind,src=/mnt,dst=/m,bind-propagation=RSHARED img", []string{"mounts"}},
		{"rslave is fine", "run -v /mnt:/mnt:rslave img", []string{}},
		{"host cgroupns", "run --cgroupns host img", []string{"host-namespaces"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, p, strings.Fields(tc.argv), facts)
			if got := rules(d.Violations); !reflect.DeepEqual(got, tc.rules) {
				t.Fatalf("violations %v, want %v: %+v", got, tc.rules, d.Violations)
			}
		})
	}
}

func TestDefaultsCloseWhatTheyClaim(t *testing.T) {
	p := mustPolicy(t, "")
	facts := defaults.Facts{Known: true, SeccompBuiltin: true, LogDriver: "json-file"}
	for _, tc := range []struct {
		name, argv string
		want, not  []string
	}{
		{"an empty log driver is the daemon's default, and is rotated", "run --log-driver= img",
			[]string{"--log-opt=max-size=10m", "--log-opt=max-file=3"}, nil},
		{"max-file alone does not rotate: max-size is added", "run --log-opt max-file=2 img",
			[]string{"--log-opt=max-size=10m"}, []string{"--log-opt=max-file=3"}},
		{"a private cgroup namespace is added", "run img", []string{"--cgroupns=private"}, nil},
		{"a cgroup namespace asked for is kept", "run --cgroupns private img", nil, []string{"--cgroupns=private"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, p, strings.Fields(tc.argv), facts)
			got := strings.Join(injected(d), " ")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("added %s, want %s", got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("added %s, not wanted: %s", got, n)
				}
			}
		})
	}
}

// Limits beyond the maxima by the flags that are not --memory: swap, /dev/shm, and the OOM
// killer's preference.
func TestOtherLimits(t *testing.T) {
	p := mustPolicy(t, "")
	for _, tc := range []struct {
		argv  string
		rules []string
	}{
		{"run -m 1g --memory-swap 1000g img", []string{"resources"}},
		{"run -m 1g --memory-swap 2g img", []string{}},
		{"run --shm-size 64g img", []string{"resources"}},
		{"run --shm-size 256m img", []string{}},
		{"run --oom-score-adj -1000 img", []string{"resources"}},
		{"run --oom-score-adj=-1 img", []string{"resources"}},
		{"run --oom-score-adj 500 img", []string{}},
		{"update --memory-swap 100g c", []string{"resources"}},
	} {
		d := decide(t, p, strings.Fields(tc.argv), defaults.AssumedFacts())
		if got := rules(d.Violations); !reflect.DeepEqual(got, tc.rules) {
			t.Errorf("%s: violations %v, want %v", tc.argv, got, tc.rules)
		}
	}
}
