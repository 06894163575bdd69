package wrapper

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sdocker/defaults"
)

// Container is what a diagnosis needs of a container: its state, for defaults.Diagnose, and
// how to name it.
type Container struct {
	Name    string
	Status  string
	State   defaults.ContainerState
	Running bool
}

// InspectContainer reads a container's exit status, its security settings and the last tail
// lines of its output from the daemon.
func InspectContainer(ctx context.Context, eng *Engine, id string, tail int) (Container, error) {
	var c struct {
		Name  string
		State struct {
			Status   string
			Running  bool
			ExitCode int
		}
		Config struct {
			Image, User string
			Tty         bool
		}
		HostConfig struct {
			CapAdd, CapDrop, SecurityOpt []string
			Privileged                   bool
		}
	}
	if err := eng.Get(ctx, "/containers/"+url.PathEscape(id)+"/json", &c); err != nil {
		return Container{}, fmt.Errorf("inspecting container %s: %w", id, err)
	}
	out := Container{Name: strings.TrimPrefix(c.Name, "/"), Status: c.State.Status, Running: c.State.Running,
		State: defaults.ContainerState{Image: c.Config.Image, ExitCode: c.State.ExitCode, CapAdd: c.HostConfig.CapAdd,
			CapDrop: c.HostConfig.CapDrop, Privileged: c.HostConfig.Privileged, User: c.Config.User}}
	for _, o := range c.HostConfig.SecurityOpt {
		k, v, _ := strings.Cut(strings.Replace(o, ":", "=", 1), "=")
		if k == "no-new-privileges" && (v == "" || v == "true") {
			out.State.NoNewPrivileges = true
		}
	}
	logs, err := eng.raw(ctx, "/containers/"+url.PathEscape(id)+"/logs?stdout=1&stderr=1&tail="+strconv.Itoa(tail))
	if err != nil {
		return out, fmt.Errorf("reading the logs of %s: %w", id, err)
	}
	if !c.Config.Tty {
		logs = demultiplex(logs)
	}
	out.State.Output = strings.Split(strings.TrimRight(string(logs), "\n"), "\n")
	return out, nil
}

// raw returns the body of GET path as it is (logs are not JSON).
func (c *Engine) raw(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("talking to the docker daemon: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		return nil, &APIError{Status: resp.StatusCode, Message: strings.TrimSpace(string(data))}
	}
	return data, nil
}

// demultiplex joins the frames of a non-TTY log stream (an 8-byte header: stream, 0, 0, 0 and
// a big-endian length) into one text.
func demultiplex(b []byte) []byte {
	var out bytes.Buffer
	for len(b) >= 8 {
		n := int(binary.BigEndian.Uint32(b[4:8]))
		b = b[8:]
		if n > len(b) {
			n = len(b)
		}
		out.Write(b[:n])
		b = b[n:]
	}
	return out.Bytes()
}
