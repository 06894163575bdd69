package argv

// Verbs are sdocker's own commands. They are recognised as the first argument only, so that
// docker's commands of the same name stay reachable with a global flag in front
// (`sdocker -D version` is docker's). `completion` is sdocker's: its scripts complete sdocker's
// verbs and hand every other word to docker's own completion. `compose` is sdocker's: it runs
// docker compose behind a private proxy that decides every service.
var Verbs = []string{"audit", "authz", "ci", "completion", "compose", "daemon", "diagnose", "explain", "policy", "proxy", "scan", "tls", "verify", "version"}

// IsVerb reports whether name is one of sdocker's own verbs.
func IsVerb(name string) bool {
	for _, v := range Verbs {
		if v == name {
			return true
		}
	}
	return false
}

// Shell completion requests, in cobra's protocol (which docker's CLI answers too).
const (
	CompleteRequest       = "__complete"
	CompleteNoDescRequest = "__completeNoDesc"
)

// SdockerAnswers reports whether sdocker-core answers the command line itself rather than
// deciding it or handing it to docker: one of sdocker's verbs; the top-level help (`sdocker`
// alone, `--help`, `-h`, `help`), which is docker's help followed by sdocker's verbs;
// `help VERB`; and completion requests, which sdocker merges with docker's.
// `help run` and every other help are docker's.
func SdockerAnswers(args []string) bool {
	if len(args) == 0 {
		return true
	}
	switch args[0] {
	case "--help", "-h":
		return len(args) == 1
	case "help":
		return len(args) == 1 || IsVerb(args[1])
	case CompleteRequest, CompleteNoDescRequest:
		return true
	}
	return IsVerb(args[0])
}
