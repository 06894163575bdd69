// Command ctr is the program inside the proxy tests' image: a static binary, so the tests need
// no image from the internet.
//
//	ctr               exit 0
//	ctr cat           copy stdin to stdout
//	ctr say TEXT N    print TEXT N times, a line every 50 ms
//	ctr sleep         sleep for an hour
//	ctr tty           print the terminal's size now and after every resize ("size ROWSxCOLS"),
//	                  echo each line read, exit at "exit"
//	ctr api METHOD PATH [BODY]
//	                  ask the Engine API on /var/run/docker.sock; print the status and the body
//	ctr write FILE TEXT
//	                  write TEXT to FILE (making its directories); exit 1 if it cannot
//	ctr read FILE     print FILE; exit 1 if it cannot
//	ctr dial ADDR     connect to the TCP address ADDR, retrying for 30 s; exit 1 if it cannot
//	ctr CMD… -- CMD…  run one command after the other, stopping at the first that fails
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"
)

func main() {
	if len(os.Args) < 2 {
		return
	}
	args := os.Args[1:]
	for {
		i := slices.Index(args, "--")
		if i < 0 {
			run(append([]string{os.Args[0]}, args...))
			return
		}
		run(append([]string{os.Args[0]}, args[:i]...))
		args = args[i+1:]
	}
}

func run(args []string) {
	os.Args = args
	switch os.Args[1] {
	case "cat":
		io.Copy(os.Stdout, os.Stdin)
	case "say":
		n, _ := strconv.Atoi(os.Args[3])
		for i := 0; i < n; i++ {
			fmt.Println(os.Args[2], i)
			time.Sleep(50 * time.Millisecond)
		}
	case "sleep":
		time.Sleep(time.Hour)
	case "api":
		c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", "/var/run/docker.sock")
		}}}
		body := ""
		if len(os.Args) > 4 {
			body = os.Args[4]
		}
		req, _ := http.NewRequest(os.Args[2], "http://docker"+os.Args[3], strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		b, _ := io.ReadAll(resp.Body)
		fmt.Printf("%d %s\n", resp.StatusCode, b)
	case "write":
		if err := os.MkdirAll(filepath.Dir(os.Args[2]), 0o755); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		if err := os.WriteFile(os.Args[2], []byte(os.Args[3]), 0o644); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	case "read":
		b, err := os.ReadFile(os.Args[2])
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println(string(b))
	case "dial":
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", os.Args[2], time.Second)
			if err == nil {
				c.Close()
				fmt.Println("reached", os.Args[2])
				break
			}
			if time.Now().After(deadline) {
				fmt.Println(err)
				os.Exit(1)
			}
			time.Sleep(200 * time.Millisecond)
		}
	case "tty":
		size := func() {
			w, h, err := term.GetSize(0)
			fmt.Printf("size %dx%d %v\r\n", h, w, err)
		}
		size()
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		go func() {
			for range winch {
				size()
			}
		}()
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if sc.Text() == "exit" {
				return
			}
			fmt.Printf("echo %s\r\n", sc.Text())
		}
	}
}
