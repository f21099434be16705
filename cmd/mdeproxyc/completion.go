package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mdeproxyc/mdeproxyc/emitters/all"
)

// Shell completion. pflag has no completion generator, and cobra's would mean
// moving every command onto cobra for four short scripts; these are static
// scripts made from the command table and each command's own flag set (parse
// hands them over when c.collect is set), so a new flag is completed without
// a change here. They complete commands, flags, --target and --format values,
// and file names elsewhere.

var shells = []string{"bash", "zsh", "fish", "powershell"}

func (c *cli) completion(_ context.Context, args []string) error {
	fs := c.flags("completion")
	if stop, err := c.parse(fs, args, 1); stop {
		return err
	}
	if fs.NArg() != 1 || !slices.Contains(shells, fs.Arg(0)) {
		return usagef("completion: name a shell: %s", strings.Join(shells, ", "))
	}
	writeCompletion(c.stdout, fs.Arg(0), completionSpec())
	return nil
}

// cmdSpec is what completion knows of one command.
type cmdSpec struct {
	name  string
	flags []string // --long and -s forms
	// values maps a flag taking one of a fixed set of words to them.
	values map[string][]string
}

// completionSpec collects every command's flags by running it in collect
// mode: parse records the flag set and stops before anything else happens.
func completionSpec() []cmdSpec {
	collector := &cli{stdout: io.Discard, stderr: io.Discard, collect: map[string]*pflag.FlagSet{}}
	var targets []string
	for _, e := range all.Emitters() {
		targets = append(targets, e.Name())
	}
	var specs []cmdSpec
	for _, cmd := range commands() {
		cmd.run(collector, context.Background(), nil)
		sp := cmdSpec{name: cmd.name, values: map[string][]string{}}
		if fs := collector.collect[cmd.name]; fs != nil {
			fs.VisitAll(func(f *pflag.Flag) {
				sp.flags = append(sp.flags, "--"+f.Name)
				if f.Shorthand != "" {
					sp.flags = append(sp.flags, "-"+f.Shorthand)
				}
				if f.Name == "target" {
					sp.values["--target"] = targets
					sp.values["-t"] = targets
				}
				if f.Name == "format" {
					// The usage line ends with the formats: "output format: a, b".
					_, list, _ := strings.Cut(f.Usage, ": ")
					list, _, _ = strings.Cut(list, " (")
					words := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' })
					sp.values["--format"] = slices.DeleteFunc(words, func(s string) bool { return s == "or" })
				}
			})
		}
		sp.flags = append(sp.flags, "--help")
		if cmd.name == "completion" {
			sp.values[""] = shells
		}
		specs = append(specs, sp)
	}
	return specs
}

func writeCompletion(w io.Writer, shell string, specs []cmdSpec) {
	var names []string
	for _, s := range specs {
		names = append(names, s.name)
	}
	switch shell {
	case "bash":
		fmt.Fprintf(w, "# bash completion for mdeproxyc; load with: source <(mdeproxyc completion bash)\n")
		fmt.Fprintf(w, "_mdeproxyc() {\n  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n")
		fmt.Fprintf(w, "  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(names, " "))
		fmt.Fprintf(w, "  case \"${COMP_WORDS[1]}\" in\n")
		for _, s := range specs {
			fmt.Fprintf(w, "    %s)\n", s.name)
			for _, f := range sortedKeys(s.values) {
				if f == "" {
					continue
				}
				fmt.Fprintf(w, "      if [ \"$prev\" = %s ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", f, strings.Join(s.values[f], " "))
			}
			if v := s.values[""]; v != nil {
				fmt.Fprintf(w, "      COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", strings.Join(v, " "))
				continue
			}
			fmt.Fprintf(w, "      if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi;;\n", strings.Join(s.flags, " "))
		}
		fmt.Fprintf(w, "  esac\n  COMPREPLY=($(compgen -f -- \"$cur\"))\n}\ncomplete -o filenames -F _mdeproxyc mdeproxyc\n")
	case "zsh":
		fmt.Fprintf(w, "#compdef mdeproxyc\n# zsh completion for mdeproxyc; load with: source <(mdeproxyc completion zsh)\n")
		fmt.Fprintf(w, "_mdeproxyc() {\n  if (( CURRENT == 2 )); then compadd -- %s; return; fi\n", strings.Join(names, " "))
		fmt.Fprintf(w, "  local prev=${words[CURRENT-1]}\n  case ${words[2]} in\n")
		for _, s := range specs {
			fmt.Fprintf(w, "    %s)\n", s.name)
			for _, f := range sortedKeys(s.values) {
				if f == "" {
					continue
				}
				fmt.Fprintf(w, "      if [[ $prev == %s ]]; then compadd -- %s; return; fi\n", f, strings.Join(s.values[f], " "))
			}
			if v := s.values[""]; v != nil {
				fmt.Fprintf(w, "      compadd -- %s; return;;\n", strings.Join(v, " "))
				continue
			}
			fmt.Fprintf(w, "      if [[ $PREFIX == -* ]]; then compadd -- %s; return; fi;;\n", strings.Join(s.flags, " "))
		}
		fmt.Fprintf(w, "  esac\n  _files\n}\nif (( $+functions[compdef] )); then compdef _mdeproxyc mdeproxyc; fi\n")
	case "fish":
		fmt.Fprintf(w, "# fish completion for mdeproxyc; load with: mdeproxyc completion fish | source\n")
		fmt.Fprintf(w, "complete -c mdeproxyc -f -n __fish_use_subcommand -a %q\n", strings.Join(names, " "))
		for _, s := range specs {
			cond := "__fish_seen_subcommand_from " + s.name
			for _, f := range s.flags {
				if strings.HasPrefix(f, "--") {
					arg := ""
					if v := s.values[f]; v != nil {
						arg = fmt.Sprintf(" -x -a %q", strings.Join(v, " "))
					}
					short := ""
					for _, g := range s.flags {
						if len(g) == 2 && s.values[g] != nil && s.values[f] != nil && strings.Join(s.values[g], " ") == strings.Join(s.values[f], " ") {
							short = " -s " + g[1:]
						}
					}
					fmt.Fprintf(w, "complete -c mdeproxyc -n %q -l %s%s%s\n", cond, f[2:], short, arg)
				}
			}
			if v := s.values[""]; v != nil {
				fmt.Fprintf(w, "complete -c mdeproxyc -f -n %q -a %q\n", cond, strings.Join(v, " "))
			}
		}
	case "powershell":
		fmt.Fprintf(w, "# PowerShell completion for mdeproxyc; load with: mdeproxyc completion powershell | Out-String | Invoke-Expression\n")
		fmt.Fprintf(w, "Register-ArgumentCompleter -Native -CommandName mdeproxyc -ScriptBlock {\n  param($wordToComplete, $commandAst, $cursorPosition)\n")
		fmt.Fprintf(w, "  $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })\n")
		fmt.Fprintf(w, "  $candidates = @(%s)\n", psList(names))
		fmt.Fprintf(w, "  if ($words.Count -gt 2 -or ($words.Count -eq 2 -and $wordToComplete -eq '')) {\n")
		fmt.Fprintf(w, "    $prev = if ($wordToComplete -eq '') { $words[-1] } else { $words[-2] }\n    switch ($words[1]) {\n")
		for _, s := range specs {
			fmt.Fprintf(w, "      '%s' {\n", s.name)
			fmt.Fprintf(w, "        $candidates = @(%s)\n", psList(s.flags))
			for _, f := range sortedKeys(s.values) {
				if f == "" {
					fmt.Fprintf(w, "        $candidates = @(%s)\n", psList(s.values[f]))
					continue
				}
				fmt.Fprintf(w, "        if ($prev -eq '%s') { $candidates = @(%s) }\n", f, psList(s.values[f]))
			}
			fmt.Fprintf(w, "      }\n")
		}
		fmt.Fprintf(w, "    }\n  }\n")
		fmt.Fprintf(w, "  $candidates | Where-Object { $_ -like \"$wordToComplete*\" } | ForEach-Object {\n")
		fmt.Fprintf(w, "    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)\n  }\n}\n")
	}
}

// psList is a PowerShell array body of single-quoted words (the words are
// command, flag and target names: no quote in them).
func psList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + w + "'"
	}
	return strings.Join(q, ", ")
}

func sortedKeys(m map[string][]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
