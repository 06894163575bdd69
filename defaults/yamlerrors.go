package defaults

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlMessage describes why a policy file does not decode, in the file's own terms: the dotted
// key (runtime.resources.memory, images[0].scan.fail_on), what kind of value it takes and what
// it got, each problem on its own line with its line number, and "did you mean" for an unknown
// key close to a known one. The Go types the policy decodes into never appear.
func yamlMessage(err error, data []byte) string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) == nil {
		var problems []string
		if len(root.Content) > 0 {
			checkNode(root.Content[0], reflect.TypeFor[Policy](), "", &problems)
		}
		if len(problems) > 0 {
			return strings.Join(problems, "\n")
		}
	}
	// A syntax error, or one the walk does not know: yaml's own words, minus Go's type names.
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return goTypeNames.ReplaceAllString(strings.Join(te.Errors, "\n"), "$1")
	}
	return goTypeNames.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "$1")
}

// goTypeNames matches what yaml says of Go types ("into defaults.ByteSize", "in type
// defaults.Runtime"), so that a fallback message keeps only yaml's part.
var goTypeNames = regexp.MustCompile(`(\S+) (?:into|in type) [\w.*\[\]]+`)

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	// scalarKinds name the values of the policy's own scalar types.
	scalarKinds = map[reflect.Type]string{
		reflect.TypeFor[ByteSize](): "a size like 512m or 1g",
		reflect.TypeFor[Date]():     "a date like 2027-03-01",
	}
)

// checkNode compares one YAML value with the type it decodes into and appends a line for each
// problem found in it or under it.
func checkNode(n *yaml.Node, t reflect.Type, path string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value leaves the default
	}
	bad := func(format string, args ...any) {
		key := path
		if key == "" {
			key = "the policy"
		}
		*out = append(*out, fmt.Sprintf("line %d: %s: %s", n.Line, key, fmt.Sprintf(format, args...)))
	}
	want := kindOf(t)
	switch {
	case reflect.PointerTo(t).Implements(unmarshalerType) || isScalar(t):
		if n.Kind != yaml.ScalarNode {
			bad("expected %s, got %s", want, got(n))
		} else if err := n.Decode(reflect.New(t).Interface()); err != nil {
			bad("expected %s, got %s", want, got(n))
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			bad("expected %s, got %s", want, got(n))
			return
		}
		for i, item := range n.Content {
			checkNode(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			bad("expected %s, got %s", want, got(n))
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			f, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("line %d: %s: unknown key", k.Line, sub)
				if s := closest(k.Value, fields); s != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", s)
				} else {
					msg += " (known here: " + strings.Join(sortedKeys(fields), ", ") + ")"
				}
				*out = append(*out, msg)
				continue
			}
			checkNode(v, f.Type, sub, out)
		}
	}
}

func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// kindOf names the YAML value a type takes, as a user writes it.
func kindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if k, ok := scalarKinds[t]; ok {
		return k
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		switch e := t.Elem(); {
		case e.Kind() == reflect.String:
			return "a list of strings"
		case e.Kind() == reflect.Struct && scalarKinds[e] == "":
			return "a list of mappings"
		}
		return "a list"
	case reflect.Struct:
		return "a mapping (key: value)"
	}
	return "a value"
}

// got names what a YAML value is.
func got(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return fmt.Sprintf("%q", n.Value)
}

// yamlFields maps a struct's YAML keys to its fields (tagged "-" are not keys).
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields
}

func sortedKeys(m map[string]reflect.StructField) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// closest returns the known key nearest to an unknown one, where it is near enough to be a typo.
func closest(key string, fields map[string]reflect.StructField) string {
	return didYouMean(key, sortedKeys(fields))
}

// didYouMean returns the known word nearest to an unknown one, where it is near enough to be a
// typo (at most two edits, and fewer than half the word's length), else "".
func didYouMean(word string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(word, k); d < bestD && 2*d < len(k) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (adjacent transpositions count as one edit).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
