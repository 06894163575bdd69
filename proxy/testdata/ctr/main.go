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
