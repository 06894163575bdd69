// Command testcontainers drives testcontainers-go against DOCKER_HOST, for the proxy's tests: a
// container started the Testcontainers way, and a privileged one, which the proxy must refuse.
// It prints one JSON object.
//
//	go run . IMAGE LABEL=VALUE          (Ryuk disabled)
//	go run . reaped IMAGE LABEL=VALUE   (Ryuk enabled: start one container, leave it to Ryuk)
//	go run . reaper-image               (print the image of Ryuk it asks for)
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
	if os.Args[1] == "reaper-image" {
		fmt.Println(testcontainers.ReaperDefaultImage) // the image testcontainers-go asks for
		return
	}
	if os.Args[1] == "reaped" {
		reaped(os.Args[2], os.Args[3])
		return
	}
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

// reaped starts a container with Ryuk enabled and exits without terminating it: Ryuk is to
// remove it once this program's connection to it is gone. It prints the container's ID.
func reaped(image, label string) {
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
		out["id"] = c.GetContainerID()
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
