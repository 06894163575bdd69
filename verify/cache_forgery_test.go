package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A cache entry written by hand, with any expiry, is taken as a verification
// (signatures, scans) or as the daemon's facts: the only protection is that the file is the
// user's own, and the attacker is that user (or fills $XDG_CACHE_HOME, which CI restores from
// caches and workspaces). Every key is computable from public inputs (the policy, the key
// file, the digest). An entry sdocker did not write must be a miss; so must one that claims to
// live longer than sdocker ever caches.
func TestForgedCacheEntryIsAMiss(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "signatures")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := "sig\x00rulekey\x00127.0.0.1:5999/evil@sha256:" + hex.EncodeToString(make([]byte, 32))
	val, _ := json.Marshal(SigResponse{Digest: "sha256:" + hex.EncodeToString(make([]byte, 32)), Signers: []string{"key team.pub"}})
	entry, _ := json.Marshal(cacheEntry{Key: key, Expires: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), Value: val})
	sum := sha256.Sum256([]byte(key))
	if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])+".json"), entry, 0o600); err != nil {
		t.Fatal(err)
	}
	var got SigResponse
	if (&Cache{Dir: dir}).Get(key, &got) {
		t.Errorf("a hand-written entry (expires 2099) was taken as a verification of %s", got.Digest)
	}
}

// An entry sealed with another key (another user's, another machine's) is a miss, as is one
// that claims to live longer than sdocker caches; one sdocker wrote is a hit.
func TestCacheEntriesAreSealed(t *testing.T) {
	dir := t.TempDir()
	mine := &Cache{Dir: dir, SealKey: []byte("0123456789abcdef0123456789abcdef")}
	if err := mine.Put("k", "v", time.Hour); err != nil {
		t.Fatal(err)
	}
	var got string
	if !mine.Get("k", &got) || got != "v" {
		t.Fatalf("an entry sdocker wrote was not read back: %q", got)
	}
	other := &Cache{Dir: dir, SealKey: []byte("fedcba9876543210fedcba9876543210")}
	if other.Get("k", &got) {
		t.Fatal("an entry sealed with another key was taken")
	}
	later := &Cache{Dir: dir, SealKey: mine.SealKey, Now: func() time.Time { return time.Now().Add(-48 * time.Hour) }}
	if later.Get("k", &got) {
		t.Fatal("an entry that claims to live 49 hours from now was taken")
	}
}
