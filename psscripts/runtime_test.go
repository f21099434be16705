package psscripts

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mdeproxyc/mdeproxyc/internal/testfleet"
	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// Rules of Set-MdeProxy.ps1's run-time behaviour, each a function from the
// parse tree to the problems found, so a test runs it on the rendered script
// (no problem) and on mutations of it (each must be caught).

// calls lists the script-function calls that are statements of their own in a
// function body, through if/foreach/try blocks.
func (p *psProgram) calls(fn string) []*validators.PSNode {
	var out []*validators.PSNode
	var visit func(st *validators.PSNode)
	visit = func(st *validators.PSNode) {
		if st.Type == "pipeline" {
			if els := elements(st); len(els) > 0 && els[len(els)-1].Type == "command" {
				out = append(out, els[len(els)-1])
			}
			return
		}
		for _, s := range nested(st) {
			visit(s)
		}
	}
	for _, st := range body(p.funcs[strings.ToLower(fn)]) {
		visit(st)
	}
	return out
}

// firstArg is the source of a command's first argument.
func firstArg(c *validators.PSNode) string {
	if el := c.Child("command_elements"); el != nil && len(el.Children) > 0 {
		return el.Children[0].Source()
	}
	return ""
}

// stepRules: every change of the apply and the undo runs through Invoke-Step,
// whose catch counts the failure and lets the next step run; the undo removes
// the record only when no step failed; the exit code reports failures.
func stepRules(root *validators.PSNode) []string {
	p := newProgram(root)
	var out []string
	step := p.funcs["invoke-step"]
	if step == nil {
		return []string{"no Invoke-Step"}
	}
	guarded := false
	step.Walk(func(n *validators.PSNode) bool {
		if n.Type == "catch_clauses" {
			src := n.Source()
			guarded = strings.Contains(src, "$script:Failures ++") && strings.Contains(src, "Write-Action 'error'") &&
				!strings.Contains(src, "exit") && !strings.Contains(src, "throw")
		}
		return true
	})
	if !guarded {
		out = append(out, "Invoke-Step's catch does not count the failure, report it and go on")
	}
	for _, fn := range []string{"Invoke-Apply", "Invoke-Undo"} {
		steps := 0
		for _, c := range p.calls(fn) {
			switch name := commandName(c); strings.ToLower(name) {
			case "invoke-step":
				steps++
			case "write-action", "write-recorded":
			default:
				if p.funcs[strings.ToLower(name)] != nil {
					out = append(out, fmt.Sprintf("line %d: %s calls %s outside Invoke-Step: a failure there stops the other steps", c.Line, fn, name))
				}
			}
		}
		if steps < 5 {
			out = append(out, fmt.Sprintf("%s runs %d steps through Invoke-Step, want at least 5", fn, steps))
		}
	}
	// In Invoke-Undo, a statement testing $script:Failures that returns comes
	// before the step that removes the record.
	guardLine, removeLine := 0, 0
	for _, st := range body(p.funcs["invoke-undo"]) {
		if st.Type == "if_statement" && strings.Contains(st.Child("pipeline").Source(), "$script:Failures") && strings.Contains(st.Source(), "return") && removeLine == 0 {
			guardLine = st.Line
		}
		if strings.Contains(st.Source(), "Remove-Record") {
			removeLine = st.Line
		}
	}
	if removeLine == 0 || guardLine == 0 {
		out = append(out, fmt.Sprintf("Invoke-Undo removes the record (line %d) without first checking that every step succeeded", removeLine))
	}
	exits := false
	if top := root.Child("statement_list"); top != nil {
		for i := range top.Children {
			st := &top.Children[i]
			exits = exits || st.Type == "if_statement" && strings.Contains(st.Child("pipeline").Source(), "$script:Failures") && strings.Contains(st.Source(), "exit 1")
		}
	}
	if !exits {
		out = append(out, "the top level does not exit 1 when a step failed")
	}
	return out
}

// whatIfRules: every change sits behind $PSCmdlet.ShouldProcess, and every
// such test has an else branch that reports the change as "would-...", so
// -WhatIf (and -Undo -WhatIf) lists every step.
func whatIfRules(root *validators.PSNode) []string {
	var out []string
	perFunc := map[string]int{}
	p := newProgram(root)
	for name, fn := range p.funcs {
		fn.Walk(func(n *validators.PSNode) bool {
			if n.Type != "if_statement" {
				return true
			}
			cond := n.Child("pipeline")
			if cond == nil || !strings.Contains(cond.Source(), "ShouldProcess") {
				return true
			}
			perFunc[name]++
			reported := false
			if e := n.Child("else_clause"); e != nil {
				e.Walk(func(x *validators.PSNode) bool {
					if x.Type == "command" && commandName(x) == "Write-Action" && strings.Contains(firstArg(x), "'would-") {
						reported = true
					}
					return true
				})
			}
			if !reported {
				out = append(out, fmt.Sprintf("line %d: %s tests ShouldProcess without reporting the skipped change as would-... under -WhatIf", n.Line, p.names[name]))
			}
			return true
		})
	}
	for _, fn := range []string{"Update-Record", "Set-PlanValue", "Set-MpPreferenceTo", "Set-WinHttpTo", "Set-MmaProxy", "Restore-Registry", "Remove-Record"} {
		if perFunc[strings.ToLower(fn)] == 0 {
			out = append(out, fmt.Sprintf("%s changes something without ShouldProcess", fn))
		}
	}
	return out
}

// recordRules: the record is read back only through Read-Record, which
// validates it (Test-Record) before returning it; every property the undo
// reads from a record object is one Test-Record checks is there, since under
// StrictMode reading a missing property throws (Set-StrictMode).
func recordRules(root *validators.PSNode) []string {
	p := newProgram(root)
	var out []string
	checked := map[string]bool{"PSObject": true}
	p.funcs["test-record"].Walk(func(n *validators.PSNode) bool {
		if n.Type == "string_literal" {
			checked[strings.Trim(n.Source(), "'")] = true
		}
		return true
	})
	for _, fn := range []string{"Read-Record", "Invoke-Undo", "Restore-Registry", "Restore-MpPreference", "Restore-WinHttp", "Restore-Mma", "Remove-Record", "Update-Record", "Test-Record"} {
		f := p.funcs[strings.ToLower(fn)]
		if f == nil {
			out = append(out, "no function "+fn)
			continue
		}
		f.Walk(func(n *validators.PSNode) bool {
			if n.Type != "member_access" || len(n.Children) < 3 {
				return true
			}
			v, m := n.Children[0], n.Children[len(n.Children)-1]
			if v.Type != "variable" || !slices.Contains([]string{"$state", "$r", "$prior"}, strings.ToLower(v.Text)) {
				return true
			}
			if m.Type == "member_name" && m.Children != nil && m.Children[0].Type == "simple_name" && !checked[m.Children[0].Text] {
				out = append(out, fmt.Sprintf("line %d: %s reads %s.%s, which Test-Record does not check is there", n.Line, fn, v.Text, m.Children[0].Text))
			}
			return true
		})
	}
	read := p.funcs["read-record"]
	if read == nil {
		return append(out, "no Read-Record")
	}
	src := read.Source()
	conv, test, ret := strings.Index(src, "ConvertFrom-Json"), strings.Index(src, "Test-Record"), strings.LastIndex(src, "return $state")
	if conv < 0 || test < conv || ret < test {
		out = append(out, "Read-Record does not validate the record (Test-Record) between ConvertFrom-Json and returning it")
	}
	n := 0
	root.Walk(func(x *validators.PSNode) bool {
		if x.Type == "command" && commandName(x) == "ConvertFrom-Json" {
			n++
		}
		return true
	})
	if n != 1 {
		out = append(out, fmt.Sprintf("%d ConvertFrom-Json calls: the record must be read in Read-Record only", n))
	}
	return out
}

// nullRules: a function that returns $null when a component cannot be read
// (Get-WinHttpProxy, Get-MpProxyPreference, Get-MmaConfig, Read-Record ...:
// every function with a "return $null") has each result tested against $null
// before anything else uses it, so no property of a missing answer is read
// (under StrictMode that throws, e.g. "Property 'AccessType' cannot be found").
func nullRules(root *validators.PSNode) []string {
	p := newProgram(root)
	nullable := map[string]bool{}
	for name, fn := range p.funcs {
		fn.Walk(func(n *validators.PSNode) bool {
			if n.Type == "flow_control_statement" && len(n.Children) > 1 && n.Children[0].Type == "return" && strings.EqualFold(n.Children[1].Source(), "$null") {
				nullable[name] = true
			}
			return true
		})
	}
	var out []string
	check := func(scope *validators.PSNode, where string) {
		// The nodes of the scope in source order, functions defined in it aside.
		var nodes []*validators.PSNode
		scope.Walk(func(n *validators.PSNode) bool {
			if n != scope && n.Type == "function_statement" {
				return false
			}
			nodes = append(nodes, n)
			return true
		})
		for i, n := range nodes {
			if n.Type != "assignment_expression" || len(n.Children) < 3 {
				continue
			}
			rhs := n.Children[len(n.Children)-1]
			els := elements(&rhs)
			if rhs.Type != "pipeline" || len(els) != 1 || els[0].Type != "command" || !nullable[strings.ToLower(commandName(els[0]))] {
				continue
			}
			v := strings.ToLower(n.Children[0].Source())
			// The first later use of the variable must be a $null test.
			for _, m := range nodes[i+1:] {
				if m.Line <= n.Line || m.Type != "variable" || strings.ToLower(m.Text) != v {
					continue
				}
				tested := false
				for _, c := range nodes {
					if (c.Type == "if_statement" || c.Type == "elseif_clause") && c.Child("pipeline") != nil {
						cond := c.Child("pipeline").Source()
						tested = tested || c.Line == m.Line && strings.Contains(cond, "$null") && strings.Contains(strings.ToLower(cond), v)
					}
				}
				if !tested {
					out = append(out, fmt.Sprintf("line %d: %s uses %s (from %s) before testing it against $null", m.Line, where, n.Children[0].Source(), commandName(els[0])))
				}
				break
			}
		}
	}
	for name, fn := range p.funcs {
		check(fn, p.names[name])
	}
	if top := root.Child("statement_list"); top != nil {
		check(top, "the top level")
	}
	if len(nullable) < 3 {
		out = append(out, fmt.Sprintf("%d functions return $null: the scan found too few", len(nullable)))
	}
	return out
}

// TestRuntimeRules runs the rules on the rendered Set-MdeProxy.ps1 and on one
// mutation each that the rule must catch.
func TestRuntimeRules(t *testing.T) {
	good := string(setScript(testfleet.Profile(t, "hq")))
	must := func(old, new string) string {
		if strings.Count(good, old) != 1 {
			t.Fatalf("mutation anchor %q found %d times", old, strings.Count(good, old))
		}
		return strings.Replace(good, old, new, 1)
	}
	type rule struct {
		name  string
		check func(*validators.PSNode) []string
	}
	leaks := rule{"output", outputLeaks}
	steps := rule{"steps", stepRules}
	whatIf := rule{"what-if", whatIfRules}
	record := rule{"record", recordRules}
	nulls := rule{"null", nullRules}
	cases := []struct {
		what   string
		script string
		rule   rule
		want   string // in a problem; "" = no problem
	}{
		{"rendered", good, leaks, ""},
		{"rendered", good, steps, ""},
		{"rendered", good, whatIf, ""},
		{"rendered", good, record, ""},
		{"rendered", good, nulls, ""},
		{"a WinHTTP answer used untested", must("    $live = Get-WinHttpProxy\r\n    if ($null -eq $live) {\r\n        return\r\n    }\r\n    $accessType = 1", "    $live = Get-WinHttpProxy\r\n    $accessType = 1"), nulls, "Set-WinHttpProxyFromIntent uses $live (from Get-WinHttpProxy) before testing it"},
		{"today's Write-Action (Write-Output)", must("    $script:Lines += ('{0} {1}: {2}' -f $Verb, $Target, $Detail)\r\n", "    Write-Output ('{0} {1}: {2}' -f $Verb, $Target, $Detail)\r\n"), leaks, "the result of Get-MpProxyPreference is assigned"},
		{"a skip line written in Get-MpProxyPreference", must("    $script:MpRead = $true\r\n", "    $script:MpRead = $true\r\n    Write-Output 'skip MpPreference: x'\r\n"), leaks, "Get-MpProxyPreference writes to the output stream"},
		{"an unassigned method call", must("    $missing = @()\r\n", "    $missing = New-Object System.Collections.ArrayList\r\n    $missing.Add($Key)\r\n"), leaks, "Get-MissingKeys writes to the output stream"},
		{"New-Item without Out-Null", must("    $k = $Key\r\n", "    $k = $Key\r\n    New-Item -Path $Key -Force\r\n"), leaks, "the output of New-Item"},
		{"a helper that prints, called from a value function", must("    $problem = Test-Fields -Object $State -What 'the record'", "    Invoke-Step -Target 'x' -Step { }\r\n    $problem = Test-Fields -Object $State -What 'the record'"), leaks, "Invoke-Step, which writes"},
		{"a step outside Invoke-Step", must("Invoke-Step -Target 'MpPreference' -Step { Set-MpProxyPreference }", "Set-MpProxyPreference"), steps, "Invoke-Apply calls Set-MpProxyPreference outside Invoke-Step"},
		{"a catch that stops the run", must("        Write-Action 'error' $Target $_.Exception.Message\r\n", "        Write-Action 'error' $Target $_.Exception.Message\r\n        throw\r\n"), steps, "Invoke-Step's catch"},
		{"the record removed after failures", must("    if ($script:Failures -gt 0) {\r\n        Write-Action 'error' $BackupKey", "    if ($false) {\r\n        Write-Action 'error' $BackupKey"), steps, "without first checking"},
		{"no failure exit code", must("if ($script:Failures -gt 0) {\r\n    exit 1\r\n}\r\nexit 0", "exit 0"), steps, "does not exit 1"},
		{"a restore silent under -WhatIf", must("    } else {\r\n        Write-Action 'would-restore' $target $detail\r\n    }\r\n", "    }\r\n"), whatIf, "Restore-Registry tests ShouldProcess without reporting"},
		{"an unchecked record property", must("    if (-not $Prior.Readable) {", "    if (-not $Prior.Readable -or $Prior.Version) {"), record, "reads $Prior.Version"},
		{"a record used without validation", must("    $problem = Test-Record -State $state\r\n", "    $problem = ''\r\n"), record, "does not validate the record"},
	}
	var scripts [][]byte
	for _, c := range cases {
		scripts = append(scripts, []byte(c.script))
	}
	trees := validators.ParsePowerShellTree(t, scripts...)
	for i, c := range cases {
		problems := c.rule.check(&trees[i])
		if c.want == "" {
			for _, p := range problems {
				t.Errorf("%s, %s rule: %s", c.what, c.rule.name, p)
			}
			continue
		}
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
			t.Errorf("mutation %q: the %s rule did not report %q; it reported %q", c.what, c.rule.name, c.want, problems)
		}
	}
}
