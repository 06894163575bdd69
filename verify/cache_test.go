package verify

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

func TestCacheRoundTripAndExpiry(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c := &Cache{Dir: t.TempDir(), Now: func() time.Time { return now }}
	var got string
	if c.Get("k", &got) {
		t.Fatal("empty cache hit")
	}
	if err := c.Put("k", "v", time.Hour); err != nil {
		t.Fatal(err)
	}
	if !c.Get("k", &got) || got != "v" {
		t.Fatalf("Get = %q, want v", got)
	}
	if c.Get("other", &got) {
		t.Fatal("hit for another key")
	}
	now = now.Add(2 * time.Hour)
	if c.Get("k", &got) {
		t.Fatal("expired entry still hit")
	}
}

func TestCacheConcurrentWriters(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Put("same", fmt.Sprintf("value-%d", i), time.Hour); err != nil {
				t.Error(err)
			}
			var v string
			if !c.Get("same", &v) {
				t.Error("a reader saw no whole entry")
			}
		}()
	}
	wg.Wait()
}

func TestCacheIgnoresWhatOthersCouldWrite(t *testing.T) {
	dir := t.TempDir()
	c := &Cache{Dir: dir}
	if err := c.Put("k", "verified", time.Hour); err != nil {
		t.Fatal(err)
	}
	var v string
	if !c.Get("k", &v) {
		t.Fatal("own cache missed")
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if c.Get("k", &v) {
		t.Fatal("an entry in a world-writable cache directory was trusted")
	}
	os.Chmod(dir, 0o700)
	if err := os.Chmod(c.path("k"), 0o666); err != nil {
		t.Fatal(err)
	}
	if c.Get("k", &v) {
		t.Fatal("a world-writable cache entry was trusted")
	}
}
