package wrapper

import "testing"

func TestDemultiplex(t *testing.T) {
	frame := func(stream byte, s string) []byte {
		n := len(s)
		return append([]byte{stream, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, s...)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"stdout and stderr", append(frame(1, "out\n"), frame(2, "chown: x: Operation not permitted\n")...), "out\nchown: x: Operation not permitted\n"},
		{"a frame cut short", append(frame(2, "whole\n"), frame(2, "cut")[:9]...), "whole\nc"},
		{"empty", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(demultiplex(tc.in)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
