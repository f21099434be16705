package psscripts

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// This file holds a model of one PowerShell rule, over the tree-sitter parse
// tree: everything a function writes to the output stream is part of its
// return value (about_Return). A statement writes to the output stream unless
// it is an assignment, a [void] cast, an increment, a flow-control statement
// without a value, a pipeline ending in Out-Null, or a call of a cmdlet that
// returns nothing (silentCmdlets) or of a script function that writes
// nothing. Anything the model does not know is counted as output, so an
// unknown construct can make the check fail, never pass.

// silentCmdlets are the cmdlets the scripts call that write nothing to the
// output stream (without -PassThru): their documented outputs are "None".
// Write-Host and Write-Verbose write to other streams.
var silentCmdlets = map[string]bool{
	"out-null": true, "set-strictmode": true, "remove-itemproperty": true, "remove-item": true,
	"set-itemproperty": true, "set-mppreference": true, "remove-mppreference": true, "add-type": true,
	"write-host": true, "write-verbose": true, "write-warning": true, "write-error": true,
	"write-debug": true, "write-information": true, "write-progress": true, "start-sleep": true,
	"set-variable": true, "import-module": true, "out-file": true, "set-content": true,
	"add-content": true, "remove-variable": true, "add-member": true,
}

// outputSite is where a statement writes to the output stream, and why.
type outputSite struct {
	line int
	why  string
}

func (s *outputSite) String() string { return fmt.Sprintf("line %d: %s", s.line, s.why) }

// psProgram is one parsed script and its functions, by lower-case name
// (PowerShell's names are case-insensitive).
type psProgram struct {
	root  *validators.PSNode
	funcs map[string]*validators.PSNode
	names map[string]string
	memo  map[string]*outputSite // key: "r:"+name (with return values) or "l:"+name (leaks)
	busy  map[string]bool
}

func newProgram(root *validators.PSNode) *psProgram {
	p := &psProgram{root: root, funcs: map[string]*validators.PSNode{}, names: map[string]string{}, memo: map[string]*outputSite{}, busy: map[string]bool{}}
	root.Walk(func(n *validators.PSNode) bool {
		if n.Type == "function_statement" {
			if name := n.Child("function_name"); name != nil {
				p.funcs[strings.ToLower(name.Text)] = n
				p.names[strings.ToLower(name.Text)] = name.Text
			}
		}
		return true
	})
	return p
}

// body returns the statements of a function's script block (its param block
// aside; begin/process/end blocks each count).
func body(fn *validators.PSNode) []*validators.PSNode {
	sb := fn.Child("script_block")
	if sb == nil {
		return nil
	}
	return statementsIn(sb, "param_block")
}

// nested returns the statements of the blocks a control statement runs (if,
// foreach, try, switch ...), not those of its conditions or of script block
// expressions, whose output goes elsewhere.
func nested(st *validators.PSNode) []*validators.PSNode {
	var out []*validators.PSNode
	for i := range st.Children {
		out = append(out, statementsIn(&st.Children[i], "pipeline", "script_block_expression", "switch_condition", "switch_clause_condition")...)
	}
	return out
}

// statementsIn returns the statements of the outermost statement lists at or
// under n, not looking into nodes of the skip types.
func statementsIn(n *validators.PSNode, skip ...string) []*validators.PSNode {
	var out []*validators.PSNode
	n.Walk(func(x *validators.PSNode) bool {
		switch {
		case slices.Contains(skip, x.Type):
			return false
		case x.Type == "statement_list":
			for i := range x.Children {
				out = append(out, &x.Children[i])
			}
			return false
		}
		return true
	})
	return out
}

// elements returns the elements of a pipeline (commands and expressions), the
// "|" tokens aside.
func elements(pl *validators.PSNode) []*validators.PSNode {
	kids := pl.Children
	if len(kids) == 1 && kids[0].Type == "pipeline_chain" {
		kids = kids[0].Children
	}
	var out []*validators.PSNode
	for i := range kids {
		if kids[i].Type != "|" {
			out = append(out, &kids[i])
		}
	}
	return out
}

// commandName is a command's name as written; "" for & or . of an expression.
func commandName(c *validators.PSNode) string {
	if n := c.Child("command_name"); n != nil {
		return n.Source()
	}
	return ""
}

func hasParam(c *validators.PSNode, param string) bool {
	el := c.Child("command_elements")
	if el == nil {
		return false
	}
	for _, a := range el.Children {
		if a.Type == "command_parameter" && strings.EqualFold(strings.TrimSuffix(a.Text, ":"), param) {
			return true
		}
	}
	return false
}

// silentExpression: an expression statement that writes nothing — an
// increment or decrement, or a [void] cast.
func silentExpression(e *validators.PSNode) bool {
	for _, c := range e.Children {
		if c.Text == "++" || c.Text == "--" {
			return true
		}
	}
	if e.Type == "expression_with_unary_operator" {
		if cast := e.Child("cast_expression"); cast != nil {
			if tl := cast.Child("type_literal"); tl != nil && strings.EqualFold(strings.Trim(tl.Source(), "[] "), "void") {
				return true
			}
		}
	}
	return false
}

// statement returns where a statement writes to the output stream, nil when
// it does not; withReturn counts "return <value>" as output (what a caller
// that does not capture the result receives).
func (p *psProgram) statement(st *validators.PSNode, withReturn bool) *outputSite {
	switch st.Type {
	case "function_statement", "empty_statement":
		return nil
	case "flow_control_statement":
		if withReturn && len(st.Children) > 1 && st.Children[0].Type == "return" {
			return &outputSite{st.Line, "return " + st.Children[1].Source()}
		}
		return nil
	case "pipeline":
		if st.Child("assignment_expression") != nil {
			return nil
		}
		els := elements(st)
		if len(els) == 0 {
			return nil
		}
		last := els[len(els)-1]
		if last.Type != "command" {
			if silentExpression(last) {
				return nil
			}
			return &outputSite{last.Line, "the value of " + last.Source()}
		}
		name := commandName(last)
		low := strings.ToLower(name)
		switch {
		case name == "":
			return &outputSite{last.Line, "the output of " + last.Source()}
		case low == "write-output" || low == "echo" || low == "write":
			return &outputSite{last.Line, name}
		case p.funcs[low] != nil:
			if inner := p.outputs(low, true); inner != nil {
				return &outputSite{last.Line, fmt.Sprintf("%s, which writes to the output stream (%v)", name, inner)}
			}
			return nil
		case silentCmdlets[low] && !hasParam(last, "-PassThru"):
			return nil
		}
		return &outputSite{last.Line, "the output of " + name}
	}
	for _, s := range nested(st) {
		if site := p.statement(s, withReturn); site != nil {
			return site
		}
	}
	return nil
}

// outputs returns the first place a function writes to the output stream:
// with withReturn, including its return values; without, only what leaks
// into its result beside them.
func (p *psProgram) outputs(name string, withReturn bool) *outputSite {
	key := fmt.Sprintf("%t:%s", withReturn, name)
	if s, ok := p.memo[key]; ok {
		return s
	}
	if p.busy[key] {
		return nil // recursion: the first visit decides
	}
	p.busy[key] = true
	var site *outputSite
	for _, st := range body(p.funcs[name]) {
		if site = p.statement(st, withReturn); site != nil {
			break
		}
	}
	p.busy[key] = false
	p.memo[key] = site
	return site
}

// valueUse is a call of a script function whose output is taken as a value.
type valueUse struct {
	line int
	fn   string // lower-case
	how  string
}

// valueUses finds every call of a script function whose result is used as a
// value: assigned, returned, in @() or $(), a condition, an argument — any
// place but a statement of its own (or the first stage of a pipeline into
// Out-Null).
func (p *psProgram) valueUses() []valueUse {
	var out []valueUse
	var stack []*validators.PSNode
	var walk func(n *validators.PSNode)
	walk = func(n *validators.PSNode) {
		if n.Type == "command" {
			low := strings.ToLower(commandName(n))
			if p.funcs[low] != nil {
				if how := valueContext(n, stack); how != "" {
					out = append(out, valueUse{n.Line, low, how})
				}
			}
		}
		stack = append(stack, n)
		for i := range n.Children {
			walk(&n.Children[i])
		}
		stack = stack[:len(stack)-1]
	}
	walk(p.root)
	return out
}

// valueContext says how a command's output is used ("" when it is a statement
// of its own), from its ancestors.
func valueContext(cmd *validators.PSNode, stack []*validators.PSNode) string {
	i := len(stack) - 1
	for i >= 0 && stack[i].Type == "pipeline_chain" {
		i--
	}
	if i < 0 || stack[i].Type != "pipeline" {
		return "in an expression"
	}
	els := elements(stack[i])
	if els[len(els)-1] != cmd {
		if last := els[len(els)-1]; last.Type == "command" && strings.EqualFold(commandName(last), "Out-Null") {
			return ""
		}
		return "piped into " + els[len(els)-1].Source()
	}
	if i == 0 {
		return ""
	}
	parent := stack[i-1]
	switch parent.Type {
	case "assignment_expression":
		return "assigned"
	case "flow_control_statement":
		return "returned"
	case "statement_list":
		if i >= 2 {
			switch stack[i-2].Type {
			case "program", "script_block_body", "statement_block":
				return ""
			}
			return "inside " + stack[i-2].Type
		}
		return ""
	}
	return "inside " + parent.Type
}

// outputLeaks lists every value use of a function that writes to the output
// stream beside its return value.
func outputLeaks(root *validators.PSNode) []string {
	p := newProgram(root)
	var out []string
	for _, u := range p.valueUses() {
		if site := p.outputs(u.fn, false); site != nil {
			out = append(out, fmt.Sprintf("line %d: the result of %s is %s, but %s writes to the output stream at %v", u.line, p.names[u.fn], u.how, p.names[u.fn], site))
		}
	}
	return out
}
