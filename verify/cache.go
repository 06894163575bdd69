// Package verify checks images before docker gets them: signature verification (through the
// sdocker-verify helper, which alone links cosign), the vulnerability scan gate (the trivy
// binary), and the on-disk cache that lets a second check of the same digest cost nothing.
package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Cache stores JSON values by key under a directory, one file per key. Writes go through a
// temporary file and a rename, so concurrent sdocker processes see a whole entry or none.
type Cache struct {
	Dir string
	Now func() time.Time // nil means time.Now
}

type cacheEntry struct {
	Key     string          `json:"key"`
	Expires time.Time       `json:"expires"`
	Value   json.RawMessage `json:"value"`
}

// DefaultCacheDir is $XDG_CACHE_HOME/sdocker/NAME (~/.cache when unset).
func DefaultCacheDir(getenv func(string) string, name string) (string, error) {
	base := getenv("XDG_CACHE_HOME")
	if base == "" {
		var err error
		if base, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("finding the cache directory: %w", err)
		}
	}
	return filepath.Join(base, "sdocker", name), nil
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:])+".json")
}

// Get decodes the live entry for key into out and reports whether there was one. A missing,
// expired, foreign or unreadable entry is a miss, never an error: the check simply runs again.
func (c *Cache) Get(key string, out any) bool {
	path := c.path(key)
	if !trusted(c.Dir) || !trusted(path) {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.Key != key || !c.now().Before(e.Expires) {
		return false
	}
	return json.Unmarshal(e.Value, out) == nil
}

// trusted reports whether a cache directory or entry can only have been written by this user:
// owned by us and writable by no one else. A cache anyone else can write could claim that an
// image was verified or scanned clean, so such a cache is ignored.
func trusted(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSymlink != 0 || fi.Mode().Perm()&0o022 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}

// Put stores value for key until ttl has passed.
func (c *Cache) Put(key string, value any, ttl time.Duration) error {
	if ttl <= 0 {
		return errors.New("cache: ttl must be positive")
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("cache: encoding entry: %w", err)
	}
	data, err := json.Marshal(cacheEntry{Key: key, Expires: c.now().Add(ttl), Value: raw})
	if err != nil {
		return fmt.Errorf("cache: encoding entry: %w", err)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return WriteFileAtomic(c.path(key), data, 0o600)
}

// WriteFileAtomic writes data to path through a temporary file in the same directory and a
// rename: readers see the old content or the new, never a part.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
