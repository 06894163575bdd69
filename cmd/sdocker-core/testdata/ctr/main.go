// Command ctr is the program inside sdocker's test image: a static binary that reports what
// the container was given, so tests need no image from the internet.
//
//	ctr status        print the CapEff, NoNewPrivs and Seccomp lines of /proc/self/status
//	ctr cat           copy stdin to stdout
//	ctr say OUT ERR N print OUT on stdout, ERR on stderr, exit with status N
//	ctr sleep         sleep for an hour
//	ctr listen PORT   answer "hello" to every TCP connection on PORT
//	ctr dial ADDR     connect to ADDR (host:port) within 3 s and print what it says; exit 1 if not
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(0)
	}
	switch os.Args[1] {
	case "status":
		f, err := os.Open("/proc/self/status")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := sc.Text()
			for _, k := range []string{"CapEff:", "NoNewPrivs:", "Seccomp:"} {
				if strings.HasPrefix(l, k) {
					fmt.Println(strings.Join(strings.Fields(l), " "))
				}
			}
		}
	case "cat":
		io.Copy(os.Stdout, os.Stdin)
	case "file":
		data, err := os.ReadFile(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Stdout.Write(data)
	case "say":
		fmt.Println(os.Args[2])
		fmt.Fprintln(os.Stderr, os.Args[3])
		n, _ := strconv.Atoi(os.Args[4])
		os.Exit(n)
	case "sleep":
		time.Sleep(time.Hour)
	case "listen":
		l, err := net.Listen("tcp", ":"+os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for {
			c, err := l.Accept()
			if err != nil {
				os.Exit(1)
			}
			fmt.Fprintln(c, "hello")
			c.Close()
		}
	case "dial":
		c, err := net.DialTimeout("tcp", os.Args[2], 3*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		io.Copy(os.Stdout, c)
	}
}
