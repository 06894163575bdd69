// Command testcontainers drives testcontainers-go (with Ryuk disabled: its image is on Docker
// Hub) against DOCKER_HOST, for the proxy's tests: a container started the Testcontainers way,
// and a privileged one, which the proxy must refuse. It prints one JSON object.
//
//	go run . IMAGE LABEL=VALUE
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
)

func main() {
	image, label := os.Args[1], os.Args[2]
	k, v, _ := strings.Cut(label, "=")
	ctx := context.Background()
	out := map[string]any{}
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{Image: image, Cmd: []string{"sleep"}, Labels: map[string]string{k: v}},
		Started:          true,
	})
	if err != nil {
		out["start"] = err.Error()
	} else {
		info, err := c.Inspect(ctx)
		if err != nil {
			out["inspect"] = err.Error()
		} else {
			out["capdrop"] = info.HostConfig.CapDrop
			out["network"] = string(info.HostConfig.NetworkMode)
		}
		c.Terminate(ctx)
	}
	_, err = testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{Image: image, Cmd: []string{"sleep"}, Labels: map[string]string{k: v},
			HostConfigModifier: func(hc *container.HostConfig) { hc.Privileged = true }},
		Started: true,
	})
	if err != nil {
		out["privileged"] = err.Error()
	} else {
		out["privileged"] = "started"
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
