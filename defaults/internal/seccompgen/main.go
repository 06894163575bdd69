// Command seccompgen prints Moby's default seccomp profile as JSON.
package main

import (
	"encoding/json"
	"os"

	"github.com/moby/profiles/seccomp"
)

func main() {
	b, err := json.MarshalIndent(seccomp.DefaultProfile(), "", "\t")
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(append(b, '\n'))
}
