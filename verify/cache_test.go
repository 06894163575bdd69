package verify

import (
	"fmt"
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
