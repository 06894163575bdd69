// Command bare is the yardstick of sdocker's pass-through cost: a Go program that does nothing
// but find docker on PATH and exec it.
package main

import (
	"os"
	"os/exec"
	"syscall"
)

func main() {
	p, err := exec.LookPath("docker")
	if err != nil {
		os.Exit(127)
	}
	syscall.Exec(p, append([]string{"docker"}, os.Args[1:]...), os.Environ())
	os.Exit(126)
}
