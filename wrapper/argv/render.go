package argv

// Edit is what the decision changes in a command line: flags to add (as "--name=value"
// arguments, placed right after the command words so they can never fall among the container's
// own arguments), occurrences to drop, and the image to use instead of the one typed.
type Edit struct {
	Add    []string
	Remove []Occurrence
	// Image replaces IMAGE (run, create) or NAME (pull) when not empty: repo@sha256:….
	Image string
}

// Render returns the docker argv (without the program name) for an invocation after an edit.
// Everything the user typed is kept, in order, except the removed occurrences and the image.
func Render(inv *Invocation, e Edit) []string {
	skip := map[int]bool{}
	for _, o := range e.Remove {
		for i := o.Start; i < o.End; i++ {
			skip[i] = true
		}
	}
	out := make([]string, 0, len(inv.Argv)+len(e.Add))
	for i, a := range inv.Argv {
		if i == inv.CommandEnd && inv.Command != "" {
			out = append(out, e.Add...)
		}
		switch {
		case skip[i]:
		case i == inv.ArgsStart && e.Image != "" && inv.Image() != "":
			out = append(out, e.Image)
		default:
			out = append(out, a)
		}
	}
	if inv.Command != "" && inv.CommandEnd == len(inv.Argv) {
		out = append(out, e.Add...)
	}
	return out
}
