package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkOverhead measures, interleaved in one run so that a noisy machine hits every
// command alike, the median wall time of:
//
//	docker ps, a bare Go exec wrapper's ps, sdocker ps
//	docker run --rm IMG, sdocker run --rm IMG
//
// and reports the ratios sdocker/bare (pass-through) and sdocker/docker (run). Both runs use
// the policy's network so that only sdocker's own work differs. Run it with
//
//	go test -run '^$' -bench Overhead -benchtime 1x ./cmd/sdocker
func BenchmarkOverhead(b *testing.B) {
	if daemonErr != nil {
		b.Skipf("SKIPPED: %v", daemonErr)
	}
	bare := filepath.Join(b.TempDir(), "bare")
	if out, err := exec.Command("go", "build", "-o", bare, "./testdata/bare").CombinedOutput(); err != nil {
		b.Fatalf("building the bare wrapper: %v\n%s", err, out)
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		b.Fatal(err)
	}
	cmds := map[string][]string{
		"docker ps":   {docker, "ps", "-q"},
		"bare ps":     {bare, "ps", "-q"},
		"sdocker ps":  {sdockerBin, "ps", "-q"},
		"docker run":  {docker, "run", "--rm", "--network", "sdocker", testImage},
		"sdocker run": {sdockerBin, "run", "--rm", testImage},
		// A docker help is passed through (sdocker's own top-level help runs docker's as a child).
		"docker --help":  {docker, "ps", "--help"},
		"sdocker --help": {sdockerBin, "ps", "--help"},
	}
	order := []string{"docker ps", "bare ps", "sdocker ps", "docker --help", "sdocker --help", "docker run", "sdocker run"}
	rounds := map[string]int{"docker run": 31, "sdocker run": 31}
	times := map[string][]time.Duration{}
	for i := 0; i < 60; i++ {
		for _, name := range order {
			if r, ok := rounds[name]; ok && i >= r {
				continue
			}
			c := cmds[name]
			cmd := exec.Command(c[0], c[1:]...)
			cmd.Stdout, cmd.Stderr = nil, nil
			cmd.Env = os.Environ()
			start := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			times[name] = append(times[name], time.Since(start))
		}
	}
	median := func(name string) float64 {
		d := slices.Clone(times[name])
		slices.Sort(d)
		return float64(d[len(d)/2])
	}
	for _, name := range order {
		b.Logf("%-15s median %v", name, time.Duration(median(name)))
	}
	b.ReportMetric(median("sdocker ps")/median("bare ps"), "ps-vs-bare")
	b.ReportMetric(median("sdocker ps")/median("docker ps"), "ps-vs-docker")
	b.ReportMetric(median("sdocker --help")/median("docker --help"), "help-vs-docker")
	b.ReportMetric(median("sdocker run")/median("docker run"), "run-vs-docker")
}
