// Command sdocker-stack is sdocker's helper for docker stack deploy: it reads a compose file
// with docker's own loader and answers with each service as the decision's request. It lives
// apart from sdocker-core because the loader costs about 5 ms at start, which every command the
// core decides would pay.
//
// It reads one JSON request (stack.Input) on stdin and writes one JSON response (Response) on
// stdout; its exit status is 0 whenever it answered.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"sdocker/defaults"
	"sdocker/wrapper/stack"
)

// Response is the helper's answer: the requests, or why the file could not be read.
type Response struct {
	Requests []defaults.Request `json:"requests"`
	Error    string             `json:"error,omitempty"`
}

func main() {
	var in stack.Input
	var resp Response
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		resp.Error = fmt.Sprintf("reading the request: %v", err)
	} else if resp.Requests, err = stack.Requests(in); err != nil {
		resp.Error = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "sdocker-stack: "+err.Error())
		os.Exit(125)
	}
}
