// Package verify checks images before docker gets them: signature verification (through the
// sdocker-verify helpers, which alone link sigstore and cosign), the vulnerability scan gate
// (the trivy binary), and the on-disk cache that lets a second check of the same digest cost
// nothing.
package verify

import (
	"crypto/hmac"
	"crypto/rand"
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
//
// Every entry is sealed with a key of this user's that lives apart from the cache (in the state
// directory, $XDG_STATE_HOME/sdocker), so an entry sdocker did not write (a cache restored from
// another job, files dropped into ~/.cache) is a miss; and no entry may claim to live longer
// than sdocker ever caches.
type Cache struct {
	Dir string
	Now func() time.Time // nil means time.Now
	// SealKey seals entries; nil reads (or makes) the user's key in the state directory.
	SealKey []byte
}

type cacheEntry struct {
	Key     string          `json:"key"`
	Expires time.Time       `json:"expires"`
	Value   json.RawMessage `json:"value"`
	Seal    string          `json:"seal"`
}

// MaxCacheTTL is the longest any entry lives; one that claims more was not written by sdocker.
const MaxCacheTTL = 25 * time.Hour

// seal is the HMAC of an entry's key, expiry and value.
func seal(secret []byte, e cacheEntry) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(e.Key))
	m.Write([]byte{0})
	m.Write([]byte(e.Expires.UTC().Format(time.RFC3339Nano)))
	m.Write([]byte{0})
	m.Write(e.Value)
	return hex.EncodeToString(m.Sum(nil))
}

// sealKey returns the key entries are sealed with; create makes it when it is missing.
func (c *Cache) sealKey(create bool) ([]byte, error) {
	if c.SealKey != nil {
		return c.SealKey, nil
	}
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		base = filepath.Join(home, ".local", "state")
	}
	path := filepath.Join(base, "sdocker", "cache.key")
	if data, err := os.ReadFile(path); err == nil && trusted(path) && len(data) == 32 {
		return data, nil
	} else if !create || !errors.Is(err, os.ErrNotExist) {
		if err == nil {
			err = errors.New("the cache key is not this user's own, or not a key")
		}
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process made it meanwhile
			return c.sealKey(false)
		}
		return nil, err
	}
	defer f.Close()
	if _, err := f.Write(secret); err != nil {
		return nil, err
	}
	return secret, nil
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
	now := c.now()
	if json.Unmarshal(data, &e) != nil || e.Key != key || !now.Before(e.Expires) || e.Expires.After(now.Add(MaxCacheTTL)) {
		return false
	}
	secret, err := c.sealKey(false)
	if err != nil || !hmac.Equal([]byte(e.Seal), []byte(seal(secret, e))) {
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
	if ttl > MaxCacheTTL {
		ttl = MaxCacheTTL
	}
	secret, err := c.sealKey(true)
	if err != nil {
		return fmt.Errorf("cache: the key that seals entries: %w", err)
	}
	e := cacheEntry{Key: key, Expires: c.now().Add(ttl), Value: raw}
	e.Seal = seal(secret, e)
	data, err := json.Marshal(e)
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
