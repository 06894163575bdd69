package main

import (
	"fmt"
	"net"
	"os"

	"github.com/spf13/cobra"

	"sdocker/audit"
	"sdocker/wrapper"
)

// tlsInitOptions are the flags of `sdocker tls init`.
type tlsInitOptions struct {
	dir, listen string
	hosts, ips  []string
	days        int
	force       bool
}

func newTLSCmd(e env) *cobra.Command {
	c := &cobra.Command{
		Use:                   "tls init",
		Short:                 "Make the CA, server and client certificates that let dockerd verify its clients",
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE:                  groupRun,
	}
	o := &tlsInitOptions{}
	initCmd := &cobra.Command{
		Use:   "init [--dir DIR] [--host NAME]… [--ip ADDR]… [--listen tcp://ADDR:PORT] [--days N] [--force]",
		Short: "Write a CA, a server and a client certificate, and print the daemon.json and client settings",
		Long: `Makes a CA, a server certificate (server auth, with the names and addresses given) and a
client certificate (client auth), ECDSA P-256, keys 0600, nothing overwritten without --force.
DIR holds the CA and the server's files; DIR/client holds the client's ca.pem, cert.pem and
key.pem and nothing else. Prints the daemon.json fragment and the client's environment.`,
		Args:                  positional(cobra.NoArgs),
		DisableFlagsInUseLine: true,
		RunE:                  func(*cobra.Command, []string) error { return o.Run(e) },
	}
	f := initCmd.Flags()
	f.StringVar(&o.dir, "dir", "sdocker-tls", "directory that receives the files")
	f.StringArrayVar(&o.hosts, "host", nil, "a DNS name of the daemon (repeatable)")
	f.StringArrayVar(&o.ips, "ip", nil, "an IP address of the daemon (repeatable)")
	f.StringVar(&o.listen, "listen", "tcp://0.0.0.0:2376", "the TCP address dockerd listens on")
	f.IntVar(&o.days, "days", audit.DefaultLeafDays, "lifetime of the server and client certificates, in days")
	f.BoolVar(&o.force, "force", false, "overwrite existing files")
	c.AddCommand(initCmd)
	return c
}

// Run creates the files and prints how dockerd and its clients use them.
func (o *tlsInitOptions) Run(e env) error {
	if o.days <= 0 {
		return &wrapper.UsageError{Msg: fmt.Sprintf("--days %d: a certificate lifetime must be a positive number of days", o.days)}
	}
	listenPort, err := audit.ListenPort(o.listen)
	if err != nil {
		return &wrapper.UsageError{Msg: err.Error()}
	}
	opts := audit.TLSOptions{Dir: o.dir, DNSNames: o.hosts, LeafDays: o.days, Force: o.force}
	for _, s := range o.ips {
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
	frag, err := files.DaemonConfig([]string{"unix:///var/run/docker.sock", o.listen})
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
