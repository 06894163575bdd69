package audit

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sdocker/internal/testenv"
)

// chromium runs Debian's Chromium headless on a file with a fresh profile and nothing in the
// background that reaches the network, and returns what it printed.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Missing(t, "chromium is not on PATH (scripts/install-chromium.sh installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// The HTML report in a real browser: the DOM it builds holds what the report says and nothing
// the evidence smuggled in, and the screenshot shows the severities in their colours.
func TestHTMLInChromium(t *testing.T) {
	var b bytes.Buffer
	if err := RenderHTML(&b, check(t, loadSnapshot(t, "cis-snapshot.json")), "test"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "audit.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	dom := string(chromium(t, "--dump-dom", url))
	text := visibleText(dom)
	for _, want := range []string{
		"sdocker audit of unix:///run/cis/docker.sock",
		"27 findings", "0 critical", "7 high", "5 medium", "10 low", "5 info",
		"container ports (3333333333dd, running, image sdocker-test/busybox:1)",
		"CIS-5.14The container accepts traffic on every host interface",
		"[::]:8443 → 443/tcp",
		"/srv/<img src=x onerror=alert(1)>:/data:rshared",
		`"sshd: alice <script>alert(1)</script>"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("a reader does not see %q", want)
		}
	}
	// What the evidence holds stays text: the browser made no element of it.
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(strings.ToLower(dom), bad) {
			t.Errorf("the browser's DOM holds a %s element", bad)
		}
	}

	shot := filepath.Join(dir, "audit.png")
	chromium(t, "--hide-scrollbars", "--window-size=1280,1800", "--screenshot="+shot, url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if keep := os.Getenv("SDOCKER_AUDIT_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(keep, data, 0o644)
	}
	// The header's dark band, the high badges' red and the medium ones' amber are on screen.
	for name, c := range map[string]color.RGBA{"header": {0x24, 0x29, 0x2f, 0xff}, "high": {0xcf, 0x22, 0x2e, 0xff}, "medium": {0xbf, 0x87, 0x00, 0xff}} {
		if n := pixels(img, c); n < 200 {
			t.Errorf("the screenshot shows %d pixels of the %s colour %v, want a visible area", n, name, c)
		}
	}
}

var (
	tagRE   = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// visibleText is the DOM's text as a reader sees it: tags and style dropped, entities decoded,
// spaces folded.
func visibleText(dom string) string {
	s := tagRE.ReplaceAllString(dom, "")
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
	return spaceRE.ReplaceAllString(s, " ")
}

func pixels(img image.Image, want color.RGBA) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if near(r>>8, want.R) && near(g>>8, want.G) && near(b>>8, want.B) {
				n++
			}
		}
	}
	return n
}

func near(a uint32, b uint8) bool { return a+3 >= uint32(b) && a <= uint32(b)+3 }
