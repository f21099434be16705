package validators

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// PSValue is a value as the tree-sitter PowerShell grammar shows it: a
// single-quoted string (unquoted the way PowerShell does), an integer, a
// variable such as $true, an array, a hashtable, or other (any expression).
type PSValue struct {
	Kind  string          `json:"kind"`
	Value json.RawMessage `json:"value"`
}

// String returns the value of a single-quoted string, or an error.
func (v PSValue) String() (string, error) {
	if v.Kind != "string" {
		return "", fmt.Errorf("%s, not a single-quoted string", v.Kind)
	}
	var s string
	err := json.Unmarshal(v.Value, &s)
	return s, err
}

// Hash returns the entries of a hashtable literal.
func (v PSValue) Hash() (map[string]PSValue, error) {
	if v.Kind != "hash" {
		return nil, fmt.Errorf("%s, not a hashtable", v.Kind)
	}
	var m map[string]PSValue
	err := json.Unmarshal(v.Value, &m)
	return m, err
}

// Array returns the elements of an array literal @(...).
func (v PSValue) Array() ([]PSValue, error) {
	if v.Kind != "array" {
		return nil, fmt.Errorf("%s, not an array", v.Kind)
	}
	var a []PSValue
	err := json.Unmarshal(v.Value, &a)
	return a, err
}

// Raw returns the JSON of the value, for comparisons.
func (v PSValue) Raw() string { return v.Kind + ":" + string(v.Value) }

// PSFile is what the grammar found in one script.
type PSFile struct {
	File   string `json:"file"`
	Errors []struct {
		Line int    `json:"line"`
		Col  int    `json:"col"`
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"errors"`
	Assignments []struct {
		Variable string  `json:"variable"`
		Line     int     `json:"line"`
		Value    PSValue `json:"value"`
	} `json:"assignments"`
	Commands []PSCommand `json:"commands"`
	// Invocations are method calls (.Method(...) and [Type]::Method(...)).
	Invocations []struct {
		Target string   `json:"target"`
		Member string   `json:"member"`
		Line   int      `json:"line"`
		Guard  *PSGuard `json:"guard"`
	} `json:"invocations"`
	// Exits are the exit statements with the text of their value.
	Exits []struct {
		Line  int    `json:"line"`
		Value string `json:"value"`
	} `json:"exits"`
	Comments []struct {
		Line int    `json:"line"`
		Text string `json:"text"`
	} `json:"comments"`
	// ParamBlock is set when the script itself has a param block.
	ParamBlock bool `json:"paramBlock"`
	// TopStatements are the script's top-level statements with every
	// grammar node type inside each.
	TopStatements []struct {
		Line    int      `json:"line"`
		EndLine int      `json:"endLine"`
		Types   []string `json:"types"`
	} `json:"topStatements"`
}

// PSCommand is one command invocation and its arguments.
type PSCommand struct {
	Name string    `json:"name"`
	Line int       `json:"line"`
	Args []PSValue `json:"args"`
	// Guard is the nearest try statement whose body holds the command; nil
	// when there is none. Commands inside a guard's catch have no Guard.
	Guard *PSGuard `json:"guard"`
	// Loops are the foreach statements around the command, innermost first.
	Loops []PSLoop `json:"loops"`
}

// PSLoop is a foreach statement as seen from inside its body.
type PSLoop struct {
	// Variable is the loop variable ("$u"); Collection the text of what the
	// loop walks ("$Unplanned").
	Variable   string `json:"variable"`
	Collection string `json:"collection"`
}

// PSGuard is a try statement as seen from inside its body: what its catch
// clauses run.
type PSGuard struct {
	Line          int         `json:"line"`
	CatchCommands []PSCommand `json:"catchCommands"`
	// CatchFlow lists the flow-control keywords in the catch clauses
	// ("return", "exit", "throw", ...).
	CatchFlow []string `json:"catchFlow"`
}

// Assigned returns the value of the first assignment to a variable.
func (f PSFile) Assigned(variable string) (PSValue, bool) {
	for _, a := range f.Assignments {
		if a.Variable == variable {
			return a.Value, true
		}
	}
	return PSValue{}, false
}

// SyntaxErrors formats the ERROR and MISSING nodes, one a line; "" when none.
func (f PSFile) SyntaxErrors() string {
	s := ""
	for _, e := range f.Errors {
		s += fmt.Sprintf("%d:%d: %s near %q\n", e.Line, e.Col, e.Type, e.Text)
	}
	return s
}

// psparseDir is tools/psparse of this repository.
func psparseDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "tools", "psparse")
}

// ParsePowerShell parses scripts with the tree-sitter PowerShell grammar
// (tree-sitter-powershell run by web-tree-sitter under Node; .ci/run installs
// them with npm ci in tools/psparse), all in one Node process.
func ParsePowerShell(t testing.TB, scripts ...[]byte) []PSFile {
	t.Helper()
	var files []PSFile
	runPSParse(t, "parse.mjs", scripts, &files)
	return files
}

// runPSParse runs one of tools/psparse's Node programs on the scripts and
// decodes its JSON into out.
func runPSParse(t testing.TB, program string, scripts [][]byte, out any) {
	t.Helper()
	node := Tool(t, "node")
	dir := psparseDir()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "tree-sitter-powershell")); err != nil {
		Missing(t, "tools/psparse/node_modules is missing (run: npm ci --prefix tools/psparse)")
	}
	runOnFiles(t, "%d.ps1", scripts, out, node, "--liftoff-only", filepath.Join(dir, program))
}
