package defaults_test

import (
	"strings"
	"testing"

	"sdocker/defaults"
	"sdocker/wrapper"
)

const testPasswd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
postgres:x:106:110::/var/lib/postgresql:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
bob:x:1000:1000::/home/bob:/bin/bash
carol:x:1001:1001::/srv/users/carol:/bin/bash
`

// bindDecide decides argv with the test passwd's homes, existing paths and symlinks.
func bindDecide(t *testing.T, p *defaults.Policy, argv string) defaults.Decision {
	t.Helper()
	inv, err := wrapper.Parse(strings.Fields(argv))
	if err != nil {
		t.Fatalf("parse %q: %v", argv, err)
	}
	exists := map[string]bool{"/var/lib/postgresql/.pgpass": true, "/usr/sbin/.ssh": false}
	links := map[string]string{"/srv/innocent": "/root", "/srv/zone": "/etc/shadow", "/srv/keys": "/home/bob/.ssh",
		"/etc/localtime": "/usr/share/zoneinfo/Etc/UTC"}
	req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/root/project"})
	if err != nil {
		t.Fatal(err)
	}
	return defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: imageUser(""), Now: today,
		Homes:  defaults.HomesFromPasswd([]byte(testPasswd)),
		Exists: func(p string) bool { return exists[p] },
		ResolvePath: func(p string) (string, error) {
			if l, ok := links[p]; ok {
				return l, nil
			}
			return p, nil
		}})
}

func TestBindsMatchHowPeopleWork(t *testing.T) {
	p := mustPolicy(t, "")
	excepted := mustPolicy(t, "version: 1\nexceptions:\n  - {match: img, allow: [mounts], reason: test, expires: 2099-01-01}\n")
	for _, tc := range []struct {
		name string
		argv string
		// hint is part of the refusal's hint; fix follows that hint and must be allowed.
		hint, fix string
	}{
		{"project under /root", "-v /root/project:/src", "", ""},
		{"$PWD relative under /root", "-v ./:/src", "", ""},
		{"project under /home", "-v /home/bob/work/app:/src", "", ""},
		{"project of a home not in passwd", "-v /home/alice/proj:/src", "", ""},
		{"project in a passwd home elsewhere", "-v /srv/users/carol/code:/src", "", ""},
		{"a service's home without credentials", "-v /var/www:/usr/share/nginx/html:ro", "", ""},
		{"localtime read-only", "-v /etc/localtime:/etc/localtime:ro", "", ""},
		{"timezone read-only by --mount", "--mount type=bind,src=/etc/timezone,dst=/etc/timezone,readonly", "", ""},
		{"CA bundle read-only", "-v /etc/ssl/certs:/etc/ssl/certs:ro", "", ""},
		{"one CA file read-only", "-v /etc/ssl/certs/ca-certificates.crt:/ca.crt:ro", "", ""},
		{"passwd read-only", "-v /etc/passwd:/etc/passwd:ro", "", ""},

		{"/root itself", "-v /root:/r", "bind the project directory inside it", "-v /root/src:/r"},
		{"$PWD at /root", "-v ..:/r", "bind the project directory inside it", "-v /root/src:/r"},
		{"a home itself", "-v /home/bob:/b:ro", "bind the project directory inside it", "-v /home/bob/src:/b:ro"},
		{"a passwd home itself", "-v /srv/users/carol:/c", "bind the project directory inside it", "-v /srv/users/carol/src:/c"},
		{"/home", "-v /home:/h", "bind a project directory inside a home", "-v /home/NAME/src:/h"},
		{"parent of a passwd home", "-v /srv/users:/u", "bind a project directory inside a home", "-v /srv/users/carol/src:/u"},
		{"symlink to /root", "-v /srv/innocent:/r", "bind the project directory inside it", "-v /root/src:/r"},
		{".ssh of /root", "-v /root/.ssh:/keys:ro", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{".ssh of a home", "-v /home/bob/.ssh:/keys", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{"a key inside .ssh", "-v /home/bob/.ssh/id_ed25519:/k:ro", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{".docker of a home not in passwd", "-v /home/alice/.docker:/d", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{".aws by --mount", "--mount type=bind,source=/root/.aws,target=/aws", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{".kube of a passwd home elsewhere", "-v /srv/users/carol/.kube:/k", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{"gcloud", "-v /home/bob/.config/gcloud:/g", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{".bashrc writable", "-v /home/bob/.bashrc:/b", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{"a symlink to .ssh", "-v /srv/keys:/k", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{"a system home with credentials", "-v /var/lib/postgresql:/pg", "bind a directory that holds none", "-v /var/lib/postgresql/15:/pg:ro"},
		{"a system user's .ssh", "-v /var/www/.ssh:/k", "copy only what the container needs", "-v /root/project/token:/k:ro"},
		{"localtime writable", "-v /etc/localtime:/etc/localtime", "end -v with :ro", "-v /etc/localtime:/etc/localtime:ro"},
		{"timezone writable by --mount", "--mount type=bind,src=/etc/timezone,dst=/etc/timezone", "add readonly to --mount",
			"--mount type=bind,src=/etc/timezone,dst=/etc/timezone,readonly"},
		{"/etc/shadow", "-v /etc/shadow:/s:ro", "", ""},
		{"/etc/gshadow", "-v /etc/gshadow:/s:ro", "", ""},
		{"ssh host key", "-v /etc/ssh/ssh_host_ed25519_key:/k:ro", "", ""},
		{"TLS private keys", "-v /etc/ssl/private:/k:ro", "", ""},
		{"/etc/ssl holds private", "-v /etc/ssl:/ssl:ro", "", ""},
		{"a read-only name that leads to shadow", "-v /srv/zone:/etc/timezone:ro", "", ""},
		{"/etc", "-v /etc:/etc:ro", "bind only what the container needs of it, read-only", "-v /etc/localtime:/etc/localtime:ro"},
		{"/var holds docker's state", "-v /var:/v", "bind a directory that does not contain /var/lib/docker", "-v /var/www:/v:ro"},
		{"/", "-v /:/host:ro", "bind only the directory the container needs", "-v /root/project:/host:ro"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv := "run " + tc.argv + " img"
			d := bindDecide(t, p, argv)
			wantRefused := tc.hint != "" || strings.Contains(tc.name, "shadow") || strings.Contains(tc.name, "key") ||
				strings.Contains(tc.name, "private") || strings.Contains(tc.name, "/etc/ssl")
			if d.Allowed == wantRefused {
				t.Fatalf("allowed = %v (%+v)", d.Allowed, d.Violations)
			}
			if !wantRefused {
				return
			}
			v := d.Violations[0]
			if v.Rule != defaults.RuleMounts || !strings.Contains(v.Hint, tc.hint) || !strings.Contains(v.Hint, "allow: [mounts]") {
				t.Fatalf("violation %+v, want a mounts hint with %q", v, tc.hint)
			}
			// Every hint works: the exception it names, and the fix it describes.
			if d := bindDecide(t, excepted, argv); !d.Allowed {
				t.Errorf("with the exception the hint names, still refused: %+v", d.Violations)
			}
			if tc.fix != "" {
				if d := bindDecide(t, p, "run "+tc.fix+" img"); !d.Allowed {
					t.Errorf("following the hint (%s), still refused: %+v", tc.fix, d.Violations)
				}
			}
		})
	}
}

func TestHomesFromPasswd(t *testing.T) {
	got := map[string]bool{}
	for _, h := range defaults.HomesFromPasswd([]byte(testPasswd)) {
		got[h.Path] = h.Person
	}
	want := map[string]bool{"/root": true, "/usr/sbin": false, "/var/www": false, "/var/lib/postgresql": false,
		"/home/bob": true, "/srv/users/carol": true}
	if len(got) != len(want) {
		t.Fatalf("homes %v, want %v", got, want)
	}
	for k, v := range want {
		if person, ok := got[k]; !ok || person != v {
			t.Errorf("home %s: person %v (listed %v), want %v", k, person, ok, v)
		}
	}
}
