package proxy

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"sdocker/wrapper"
)

// cachedDaemon remembers, for 30 seconds, the answers the decisions ask most: a network's
// inspection and whether the policy's network exists, where the reference asked names the same
// network for as long (see lasting), so a create costs the daemon no lookup it made a moment ago.
type cachedDaemon struct {
	Daemon
	mu      sync.Mutex
	answers map[string]cached
}

type cached struct {
	data []byte
	at   time.Time
}

const cacheTTL = 30 * time.Second

func (c *cachedDaemon) lookup(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[key]
	if !ok || time.Since(a.at) > cacheTTL {
		return nil, false
	}
	return a.data, true
}

func (c *cachedDaemon) store(key string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil {
		c.answers = map[string]cached{}
	}
	c.answers[key] = cached{data: data, at: time.Now()}
}

func (c *cachedDaemon) Get(ctx context.Context, path string, out any) error {
	if !strings.HasPrefix(path, "/networks/") {
		return c.Daemon.Get(ctx, path, out)
	}
	if data, ok := c.lookup("GET " + path); ok {
		return json.Unmarshal(data, out)
	}
	var raw json.RawMessage
	if err := c.Daemon.Get(ctx, path, &raw); err != nil {
		return err
	}
	if lasting(strings.TrimPrefix(path, "/networks/"), raw) {
		c.store("GET "+path, raw)
	}
	return json.Unmarshal(raw, out)
}

// lasting reports whether a network's answer says what its reference will name for as long as
// it is remembered: a full ID, or the name of one of the daemon's own networks (bridge, host,
// none), which no other can take. Any other name, or an ID prefix, names another network once
// the one it named is removed (the daemon reads a reference as an ID, then a name, then an ID
// prefix): a bridge the client named after a prefix of a macvlan network's ID, judged and
// removed, left that network judged as the bridge.
func lasting(ref string, raw json.RawMessage) bool {
	var n struct{ ID, Name string }
	if json.Unmarshal(raw, &n) != nil || n.ID == "" {
		return false
	}
	switch {
	case ref == n.ID:
		return true
	case ref == n.Name:
		return ref == "bridge" || ref == "host" || ref == "none"
	}
	return false
}

var _ Daemon = (*cachedDaemon)(nil)
var _ wrapper.Getter = (*cachedDaemon)(nil)
