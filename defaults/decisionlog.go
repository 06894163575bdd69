package defaults

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Log is the policy's log: section (log.decisions: PATH appends one JSON line per decision).
type Log struct {
	Decisions string `yaml:"decisions"`
}

// LogEntry is one line of the decision log, the same from every door.
type LogEntry struct {
	Time time.Time `json:"time"`
	// Door is cli or api (and, later, authz).
	Door string   `json:"door"`
	Peer *LogPeer `json:"peer,omitempty"`
	// Action is what was asked: create, exec, update, connect, build, plugin, pull…
	Action string `json:"action"`
	Image  string `json:"image,omitempty"`
	// Pinned is the image as pinned to a digest, where it was.
	Pinned     string           `json:"pinned,omitempty"`
	Allowed    bool             `json:"allowed"`
	Violations []LogViolation   `json:"violations"`
	Additions  []LoggedAddition `json:"additions"`
}

// LogPeer is the client process, where the door knows it (SO_PEERCRED on a unix socket).
type LogPeer struct {
	UID int `json:"uid"`
	PID int `json:"pid"`
}

// LogViolation is a violation as logged: its rule, its field and where it came from.
type LogViolation struct {
	Rule  Rule   `json:"rule"`
	Field Field  `json:"field,omitempty"`
	From  string `json:"argument,omitempty"`
}

// LoggedAddition is an addition as logged.
type LoggedAddition struct {
	Field Field  `json:"field"`
	Value string `json:"value"`
}

// NewLogEntry describes a decision for the log.
func NewLogEntry(now time.Time, door, action, image string, d Decision) LogEntry {
	e := LogEntry{Time: now.UTC(), Door: door, Action: action, Image: image, Allowed: d.Allowed,
		Violations: []LogViolation{}, Additions: []LoggedAddition{}}
	for _, v := range d.Violations {
		e.Violations = append(e.Violations, LogViolation{Rule: v.Rule, Field: v.Field, From: v.From})
	}
	for _, a := range d.Change.Add {
		e.Additions = append(e.Additions, LoggedAddition{Field: a.Field, Value: a.Describe()})
	}
	return e
}

// DecisionLog appends entries to a file, one write per line (O_APPEND: lines from several
// processes do not interleave). A log that cannot be written never blocks a decision: the
// first failure goes to Report, and later ones are dropped silently.
type DecisionLog struct {
	Path   string
	Report func(error)

	mu       sync.Mutex
	f        *os.File
	reported bool
}

// Write appends one entry.
func (l *DecisionLog) Write(e LogEntry) {
	line, err := json.Marshal(e)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil && l.f == nil {
		l.f, err = os.OpenFile(l.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	}
	if err == nil {
		_, err = l.f.Write(append(line, '\n'))
	}
	if err != nil && !l.reported {
		l.reported = true
		if l.Report != nil {
			l.Report(fmt.Errorf("writing the decision log %s: %w", l.Path, err))
		}
	}
}

// Close closes the file.
func (l *DecisionLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
