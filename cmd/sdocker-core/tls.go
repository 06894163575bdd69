package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"sdocker/audit"
	"sdocker/wrapper"
)

const tlsUsage = "usage: sdocker tls init [--dir DIR] [--host NAME]… [--ip ADDR]… [--listen tcp://ADDR:PORT] [--days N] [--force]"

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// cmdTLS creates the CA, server and client certificates that let dockerd verify its clients,
// and prints the daemon.json fragment and the client environment that use them.
func cmdTLS(args []string, e env) error {
	if len(args) == 0 || args[0] != "init" {
		return &wrapper.UsageError{Msg: tlsUsage}
	}
	fs := flag.NewFlagSet("sdocker tls init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var hosts, ips listFlag
	dir := fs.String("dir", "sdocker-tls", "directory that receives the files")
	fs.Var(&hosts, "host", "a DNS name of the daemon (repeatable)")
	fs.Var(&ips, "ip", "an IP address of the daemon (repeatable)")
	listen := fs.String("listen", "tcp://0.0.0.0:2376", "the TCP address dockerd listens on")
	days := fs.Int("days", audit.DefaultLeafDays, "lifetime of the server and client certificates, in days")
	force := fs.Bool("force", false, "overwrite existing files")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stdout, tlsUsage)
			return nil
		}
		return &wrapper.UsageError{Msg: err.Error() + "; " + tlsUsage}
	}
	if fs.NArg() > 0 {
		return &wrapper.UsageError{Msg: tlsUsage}
	}
	if *days <= 0 {
		return &wrapper.UsageError{Msg: fmt.Sprintf("--days %d: a certificate lifetime must be a positive number of days", *days)}
	}
	listenPort, err := audit.ListenPort(*listen)
	if err != nil {
		return &wrapper.UsageError{Msg: err.Error()}
	}
	opts := audit.TLSOptions{Dir: *dir, DNSNames: hosts, LeafDays: *days, Force: *force}
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return &wrapper.UsageError{Msg: fmt.Sprintf("--ip %q is not an IP address", s)}
		}
		opts.IPs = append(opts.IPs, ip)
	}
	if len(opts.DNSNames) == 0 && len(opts.IPs) == 0 {
		if h, err := os.Hostname(); err == nil && h != "" {
			opts.DNSNames = append(opts.DNSNames, h)
		}
		opts.DNSNames = append(opts.DNSNames, "localhost")
		opts.IPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	files, err := audit.TLSInit(opts)
	if err != nil {
		return err
	}
	frag, err := files.DaemonConfig([]string{"unix:///var/run/docker.sock", *listen})
	if err != nil {
		return err
	}
	clientHost := "tcp://" + net.JoinHostPort(opts.ServerName(), listenPort)
	fmt.Fprintf(e.stdout, "Wrote a CA and a server certificate to %s, and a client certificate to %s.\n", files.Dir, files.ClientDir)
	fmt.Fprintf(e.stdout, "Keep %s offline once you have issued what you need: whoever holds it can mint client certificates.\n\n", files.CAKey)
	fmt.Fprintf(e.stdout, "daemon.json fragment (copy the server files where dockerd can read them and adjust the paths;\n"+
		"where the service starts dockerd with -H, drop \"hosts\" here or from the service):\n%s\n", frag)
	fmt.Fprintf(e.stdout, "Client environment (copy %s to the client; it holds no other key than the client's):\n", files.ClientDir)
	for _, kv := range files.ClientEnv(clientHost) {
		fmt.Fprintln(e.stdout, "export "+kv)
	}
	return nil
}
