package main

import (
	"bytes"
	"io"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"sdocker/wrapper"
	"sdocker/wrapper/argv"
)

func newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script for sdocker's verbs and flags and docker's commands",
		Long: `Prints a completion script for the shell named. It completes sdocker's own verbs and their
flags, and hands every other word to docker's own completion (docker's CLI answers the same
protocol), so "sdocker ru<TAB>" and "sdocker run --pri<TAB>" complete as docker's would.

  bash:  source <(sdocker completion bash)        (or save it in /etc/bash_completion.d/sdocker)
  zsh:   sdocker completion zsh > "${fpath[1]}/_sdocker"
  fish:  sdocker completion fish > ~/.config/fish/completions/sdocker.fish`,
		ValidArgs:             []string{"bash", "zsh", "fish"},
		Args:                  positional(cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs)),
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, a []string) error {
			root, w := c.Root(), c.OutOrStdout()
			switch a[0] {
			case "bash":
				return root.GenBashCompletionV2(w, true)
			case "zsh":
				return root.GenZshCompletion(w)
			default:
				return root.GenFishCompletion(w, true)
			}
		},
	}
}

// complete answers a completion request (`__complete WORD… PARTIAL`, cobra's protocol, which
// the scripts of `sdocker completion` send): sdocker's verbs and their flags from the command
// tree; everything after a docker command (explain's docker command line too) from docker's own
// completion; and the first word from both, sdocker's verbs first.
func complete(e env, root *cobra.Command, args []string) error {
	request, words := args[0], args[1:]
	if len(words) == 0 {
		words = []string{""}
	}
	ours := func(stdout, stderr io.Writer) error {
		root.SetOut(stdout)
		root.SetErr(stderr)
		root.SetArgs(append([]string{request}, words...))
		_, err := root.ExecuteC()
		return err
	}
	switch {
	case len(words) == 1:
		var mine, docker bytes.Buffer
		if err := ours(&mine, io.Discard); err != nil {
			return err
		}
		_ = dockerComplete(e, &docker, request, words) // no docker: sdocker's verbs still complete
		_, err := e.stdout.Write(mergeCompletions(mine.Bytes(), docker.Bytes()))
		return err
	case words[0] == "explain":
		if rest := explainDockerWords(root, words[1:len(words)-1]); len(rest) > 0 {
			return execDocker(e, append(append([]string{request}, rest...), words[len(words)-1]))
		}
		return ours(e.stdout, e.stderr)
	case argv.IsVerb(words[0]) || words[0] == "help":
		return ours(e.stdout, e.stderr)
	}
	return execDocker(e, append([]string{request}, words...))
}

// explainDockerWords returns the docker command line among explain's completed words, after
// explain's own flags; none while those are still being typed.
func explainDockerWords(root *cobra.Command, words []string) []string {
	c, _, err := root.Find([]string{"explain"})
	if err != nil {
		return nil
	}
	rest, _, err := ownFlags(c, words, false)
	if err != nil {
		return nil
	}
	return rest
}

// dockerComplete runs docker's own completion for words and writes its answer to w.
func dockerComplete(e env, w io.Writer, request string, words []string) error {
	docker, err := wrapper.FindDocker(e.getenv)
	if err != nil {
		return err
	}
	cmd := exec.Command(docker, append([]string{request}, words...)...)
	cmd.Args[0] = "docker"
	cmd.Stdout = w
	return cmd.Run()
}

// mergeCompletions joins two answers of the protocol (one completion a line, "NAME\tDESC", then
// ":DIRECTIVE"): the first's completions, then the second's whose names the first lacks, then
// the second's directive (docker knows best what the shell should do with the rest), or the
// first's when docker gave none.
func mergeCompletions(first, second []byte) []byte {
	split := func(b []byte) (lines []string, directive string) {
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			switch {
			case strings.HasPrefix(l, ":"):
				directive = l
			case l != "":
				lines = append(lines, l)
			}
		}
		return lines, directive
	}
	a, da := split(first)
	b, db := split(second)
	seen := map[string]bool{}
	var out []string
	for _, l := range append(a, b...) {
		name, _, _ := strings.Cut(l, "\t")
		if !seen[name] {
			seen[name] = true
			out = append(out, l)
		}
	}
	if db == "" {
		db = da
	}
	return []byte(strings.Join(append(out, db), "\n") + "\n")
}
