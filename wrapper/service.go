package wrapper

import (
	"strconv"

	"sdocker/defaults"
)

// serviceNames are service create/update flags that mean what a run flag of another name
// means, in the same syntax: the decision reads them as that flag.
var serviceNames = map[string]string{
	"limit-memory": "memory", "limit-cpu": "cpus", "limit-pids": "pids-limit",
	"mount-add": "mount", "network-add": "network",
}

// ServiceRequest describes docker service create (a container for each task: judged as a
// create, with the policy's additions) or service update (judged for what it adds).
func ServiceRequest(inv *Invocation, cwd string) (defaults.Request, error) {
	tr := *inv
	tr.Flags = make([]Occurrence, len(inv.Flags))
	for i, o := range inv.Flags {
		if n, ok := serviceNames[o.Flag.Name]; ok {
			o.Flag.Name, o.Flag.Alias = n, ""
		}
		tr.Flags[i] = o
	}
	// service create's IMAGE is its first argument, as run's.
	tr.Command = "create"
	r, err := Request(&tr, RequestInput{Cwd: cwd})
	if err != nil {
		return r, err
	}
	if inv.Command == "service update" {
		r.Kind, r.Image = defaults.KindService, ""
	}
	return r, nil
}

// ServiceEdit renders a service create's decision as service create flags. What a service
// cannot be given from the command line (no-new-privileges, a seccomp or AppArmor profile, a
// network of the policy's, log rotation) is left out and said in a note.
func ServiceEdit(d defaults.Decision) (Edit, []string) {
	var ed Edit
	var notes []string
	for _, a := range d.Change.Add {
		switch a.Field {
		case defaults.FieldCapDrop:
			ed.Add = append(ed.Add, "--cap-drop="+a.Value)
		case defaults.FieldMemory:
			ed.Add = append(ed.Add, "--limit-memory="+defaults.ByteSize(a.Int).String())
		case defaults.FieldNanoCPUs:
			ed.Add = append(ed.Add, "--limit-cpu="+strconv.FormatFloat(float64(a.Int)/1e9, 'f', -1, 64))
		case defaults.FieldPidsLimit:
			ed.Add = append(ed.Add, "--limit-pids="+strconv.FormatInt(a.Int, 10))
		case defaults.FieldLogConfig:
			ed.Add = append(ed.Add, "--log-opt="+a.Value)
		default:
			notes = append(notes, "a service cannot be given "+a.Describe()+" from the command line ("+a.Reason+"); it is not added")
		}
	}
	return ed, notes
}
