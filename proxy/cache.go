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
// inspection and whether the policy's network exists. Both say only what a network is (the host's
// and the default bridge are single and cannot be made again under another name), so a create
// costs the daemon no lookup it made a moment ago.
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
	c.store("GET "+path, raw)
	return json.Unmarshal(raw, out)
}

var _ Daemon = (*cachedDaemon)(nil)
var _ wrapper.Getter = (*cachedDaemon)(nil)
