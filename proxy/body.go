package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// errTooLarge is a body above Options.MaxBody.
var errTooLarge = errors.New("body too large")

// readBody reads a whole request body, whatever its framing (Content-Length or chunked), up
// to max bytes.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// decodeStrict decodes a JSON body as the daemon will read it into v, after checking what
// could make the daemon read it otherwise than the proxy: a key twice in one object (Go's
// decoder merges or overwrites, matching names without regard to case) and anything after
// the value.
func decodeStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("the body is empty")
	}
	if !json.Valid(b) {
		var any any
		return json.Unmarshal(b, &any) // says what is wrong, and where
	}
	if err := noDuplicateKeys(b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// noDuplicateKeys refuses a JSON text in which an object names one key twice, in any case.
func noDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func() error
	walk = func() error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := t.(json.Delim)
		if !ok {
			return nil
		}
		switch d {
		case '{':
			var seen []string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k := kt.(string)
				for _, s := range seen {
					if strings.EqualFold(s, k) {
						return fmt.Errorf("the key %q appears twice in one object (as %q and %q)", k, s, k)
					}
				}
				seen = append(seen, k)
				if err := walk(); err != nil {
					return err
				}
			}
		case '[':
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	if err := walk(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the body has data after its JSON value")
	}
	return nil
}

// object is a JSON object whose keys are found as the daemon's decoder finds a struct's
// fields: without regard to case. Numbers stay json.Number, so no limit loses precision.
type object map[string]any

func decodeObject(b []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var o object
	if err := dec.Decode(&o); err != nil {
		return nil, err
	}
	return o, nil
}

// key returns the key under which name is stored, or name.
func (o object) key(name string) string {
	if _, ok := o[name]; ok {
		return name
	}
	for k := range o {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

func (o object) get(name string) any { return o[o.key(name)] }

func (o object) set(name string, v any) { o[o.key(name)] = v }

func (o object) del(name string) { delete(o, o.key(name)) }

// child returns the object under name, made (or made to replace a null) where absent.
func (o object) child(name string) (object, error) {
	switch v := o.get(name).(type) {
	case nil:
		c := object{}
		o.set(name, map[string]any(c))
		return c, nil
	case map[string]any:
		return object(v), nil
	}
	return nil, fmt.Errorf("%s is not an object", name)
}

// list returns the array under name (nil where absent or null).
func (o object) list(name string) ([]any, error) {
	switch v := o.get(name).(type) {
	case nil:
		return nil, nil
	case []any:
		return v, nil
	}
	return nil, fmt.Errorf("%s is not a list", name)
}

// encodeObject writes an object back as JSON, numbers as they came.
func encodeObject(o object) ([]byte, error) { return json.Marshal(o) }
