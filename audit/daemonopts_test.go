package audit

import (
	"encoding/json"
	"testing"
)

// dockerd's flags for the section 2 settings, read as its flag parser reads them.
func TestParseDockerdArgsSection2(t *testing.T) {
	cfg, _, err := ParseDockerdArgs([]string{"-l", "warn", "--iptables=false", "--userland-proxy=false",
		"--default-ulimit", "nofile=1024:4096", "--default-ulimit=nproc=512", "--cgroup-parent", "/ctrs",
		"--storage-opt", "dm.basesize=20G"})
	if err != nil {
		t.Fatal(err)
	}
	want := DaemonConfig{LogLevel: "warn", IPTables: ptr(false), UserlandProxy: ptr(false), CgroupParent: "/ctrs",
		DefaultUlimits: map[string]Ulimit{"nofile": {"nofile", 1024, 4096}, "nproc": {"nproc", 512, 512}},
		StorageOpts:    []string{"dm.basesize=20G"}}
	got, _ := json.Marshal(cfg)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Fatalf("got  %s\nwant %s", got, exp)
	}
	if _, _, err := ParseDockerdArgs([]string{"--default-ulimit", "nofile=many"}); err == nil {
		t.Fatal("--default-ulimit nofile=many accepted")
	}
}

// The daemon.json keys and flags merge as dockerd merges them: a flag's value wins.
func TestMergeSection2(t *testing.T) {
	file := DaemonConfig{LogLevel: "info", UserlandProxy: ptr(false), DefaultUlimits: map[string]Ulimit{"nofile": {"nofile", 1, 2}},
		StorageOpts: []string{"overlay2.size=1G"}}
	flags := DaemonConfig{IPTables: ptr(false), DefaultUlimits: map[string]Ulimit{"nproc": {"nproc", 3, 4}}, StorageOpts: []string{"dm.basesize=5G"}}
	m := merge(file, flags)
	if m.LogLevel != "info" || !isFalse(m.UserlandProxy) || !isFalse(m.IPTables) || len(m.DefaultUlimits) != 2 || len(m.StorageOpts) != 2 {
		t.Fatalf("merged: %+v", m)
	}
}

func isFalse(b *bool) bool { return b != nil && !*b }

func TestDaemonOptions(t *testing.T) {
	ulimits := map[string]Ulimit{"nofile": {"nofile", 1024, 4096}}
	clean := func() DaemonConfig {
		return DaemonConfig{UserlandProxy: ptr(false), DefaultUlimits: ulimits}
	}
	tests := []struct {
		name string
		set  func(*DaemonConfig)
		want []string // IDs
	}{
		{"clean", func(*DaemonConfig) {}, nil},
		{"log level info", func(c *DaemonConfig) { c.LogLevel = "info" }, nil},
		{"log level warn", func(c *DaemonConfig) { c.LogLevel = "warn" }, []string{"CIS-2.3"}},
		{"log level DEBUG", func(c *DaemonConfig) { c.LogLevel = "DEBUG" }, []string{"CIS-2.3"}},
		{"debug flag", func(c *DaemonConfig) { c.Debug = ptr(true) }, []string{"CIS-2.3"}},
		{"iptables given as true", func(c *DaemonConfig) { c.IPTables = ptr(true) }, nil},
		{"iptables off", func(c *DaemonConfig) { c.IPTables = ptr(false) }, []string{"CIS-2.4"}},
		{"no default ulimits", func(c *DaemonConfig) { c.DefaultUlimits = nil }, []string{"CIS-2.8"}},
		{"cgroup parent", func(c *DaemonConfig) { c.CgroupParent = "/ctrs" }, []string{"CIS-2.10"}},
		{"base size", func(c *DaemonConfig) { c.StorageOpts = []string{"overlay2.size=1G", "DM.BASESIZE=20G"} }, []string{"CIS-2.11"}},
		{"overlay2 size only", func(c *DaemonConfig) { c.StorageOpts = []string{"overlay2.size=1G"} }, nil},
		{"userland proxy left on", func(c *DaemonConfig) { c.UserlandProxy = nil }, []string{"CIS-2.16"}},
		{"userland proxy set on", func(c *DaemonConfig) { c.UserlandProxy = ptr(true) }, []string{"CIS-2.16"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := clean()
			tc.set(&c)
			var got []string
			for _, f := range checkDaemonOptions(&Snapshot{Config: &c}) {
				got = append(got, f.ID)
			}
			if len(got) != len(tc.want) || len(got) > 0 && got[0] != tc.want[0] {
				t.Fatalf("findings %v, want %v", got, tc.want)
			}
		})
	}
	if got := checkDaemonOptions(&Snapshot{ConfigNote: "remote"}); got != nil {
		t.Fatalf("an unknown configuration gave findings: %+v", got)
	}
}
