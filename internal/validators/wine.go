package validators

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Wine runs Windows programs (reg.exe, cmd.exe) under Wine, the closest stand-in
// for regedit itself here. One prefix is not safe for parallel use: a test makes
// one and uses it serially.
type Wine struct {
	t      testing.TB
	prefix string
	files  string
	wine   string
}

// NewWine creates a fresh Wine prefix in the test's temporary folder (about 10 s
// the first time) or skips when Wine is missing.
func NewWine(t testing.TB) *Wine {
	t.Helper()
	w := &Wine{t: t, wine: Tool(t, "wine"), prefix: filepath.Join(t.TempDir(), "prefix"), files: t.TempDir()}
	// Wine's server outlives the programs it ran and writes the prefix for a
	// few seconds more: stop it, and wait, before the temporary folder is
	// removed (cleanups run last-registered first), or the removal fails on a
	// busy machine.
	t.Cleanup(func() {
		if server, err := exec.LookPath("wineserver"); err == nil {
			cmd := exec.Command(server, "-k")
			cmd.Env = append(envWithout(os.Environ(), "WINEPREFIX"), "WINEPREFIX="+w.prefix)
			cmd.Run()
			cmd = exec.Command(server, "-w")
			cmd.Env = append(envWithout(os.Environ(), "WINEPREFIX"), "WINEPREFIX="+w.prefix)
			cmd.Run()
		}
	})
	// The first call creates the prefix and prints about it; later calls must be silent.
	if _, err := w.Run("", "reg", "query", `HKLM\SOFTWARE`); err != nil {
		t.Fatalf("wine prefix: %v", err)
	}
	// Wine's server exits three seconds after its last program. A test
	// starved of the CPU for longer (CI runs every package at once on two
	// cores) then starts its next program while the server shuts down, and
	// Wine's launcher fails it (the CI failure of 2026-12-07: "Application
	// could not be started … ShellExecuteEx failed: Internal error" from a
	// reg import that passed in every other run). A persistent server lives
	// until the cleanup above kills it.
	if server, err := exec.LookPath("wineserver"); err == nil {
		cmd := exec.Command(server, "-p")
		cmd.Env = append(envWithout(os.Environ(), "WINEPREFIX"), "WINEPREFIX="+w.prefix)
		if err := cmd.Run(); err != nil {
			t.Logf("wineserver -p: %v (each program starts the server as it needs)", err)
		}
	}
	return w
}

// launchFailed matches what Wine's launcher prints when it could not start
// the program at all: the program never ran, so this is no verdict of it.
var launchFailed = regexp.MustCompile(`ShellExecuteEx failed|Application could not be started`)

// Path maps a Unix path to the Z: drive Wine exposes it as.
func Path(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	return "Z:" + strings.ReplaceAll(abs, "/", `\`)
}

// Run runs a Windows program under Wine with debug channels set by debug ("" for
// none) and returns everything it printed. Output goes through a file, never a
// pipe: Wine's helper processes hold a pipe open and every call then waits.
func (w *Wine) Run(debug string, args ...string) (string, error) {
	text, err := w.run(debug, args...)
	if err != nil && launchFailed.MatchString(text) {
		// Seen once in CI under load (see NewWine): the program is started
		// once more, and a second failure counts.
		w.t.Logf("wine %s: the launcher could not start it (%v): running it again", strings.Join(args, " "), err)
		text, err = w.run(debug, args...)
	}
	return text, err
}

// run is one Run, without the second chance.
func (w *Wine) run(debug string, args ...string) (string, error) {
	out, err := os.CreateTemp(w.files, "out-")
	if err != nil {
		w.t.Fatal(err)
	}
	defer os.Remove(out.Name())
	cmd := exec.Command(w.wine, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(envWithout(os.Environ(), "DISPLAY", "WINEPREFIX", "WINEDEBUG", "WINEDLLOVERRIDES"),
		"WINEPREFIX="+w.prefix, "WINEDEBUG=-all"+debug, "WINEDLLOVERRIDES=mscoree,mshtml=")
	runErr := cmd.Run()
	out.Close()
	text, err := os.ReadFile(out.Name())
	if err != nil {
		w.t.Fatal(err)
	}
	return string(text), runErr
}

func envWithout(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// Import runs `reg import`. Wine skips malformed lines silently and still exits
// 0, and reports unknown escapes on stdout: any output at all is an error.
func (w *Wine) Import(regFile string) error {
	out, err := w.Run("", "reg", "import", Path(regFile))
	if err != nil && strings.TrimSpace(out) == "" {
		// Seen once in a full parallel test run on a loaded machine, for a
		// file imported fine in every other run: exit 1 and not a word.
		// reg.exe answers a file it cannot read as a .reg file (no header)
		// the same way, but every time: the import is run once more, and a
		// second failure counts.
		w.t.Logf("wine reg import %s: %v with no output; running it again", regFile, err)
		out, err = w.Run("", "reg", "import", Path(regFile))
	}
	if err != nil || strings.TrimSpace(out) != "" {
		return fmt.Errorf("wine reg import: %v: %s", err, out)
	}
	return nil
}

// Export runs `reg export` of a key below HKLM and returns the values of that
// key and every key below it. A missing key exports as no values.
func (w *Wine) Export(key string) (Values, error) {
	file := filepath.Join(w.files, "export.reg")
	os.Remove(file)
	out, err := w.Run("", "reg", "export", `HKLM\`+key, Path(file), "/y")
	if err != nil {
		if strings.Contains(out, "unable to find") || strings.Contains(out, "not find") || strings.Contains(out, "does not exist") {
			return Values{}, nil
		}
		return nil, fmt.Errorf("wine reg export: %v: %s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseRegExport(data)
}

// DeleteKey removes a key below HKLM and everything under it.
func (w *Wine) DeleteKey(key string) {
	w.Run("", "reg", "delete", `HKLM\`+key, "/f")
}

// ParseRegExport reads the canonical .reg text that `reg export` writes
// (UTF-16LE): string and dword values only, which is all it is asked to export.
func ParseRegExport(data []byte) (Values, error) {
	text, err := RegText(data)
	if err != nil {
		return nil, err
	}
	vals := Values{}
	key := ""
	for n, line := range strings.Split(text, "\r\n") {
		switch {
		case line == "" || n == 0:
		case strings.HasPrefix(line, "["):
			key = strings.TrimPrefix(strings.Trim(line, "[]"), `HKEY_LOCAL_MACHINE\`)
		case strings.HasPrefix(line, `"`):
			name, rest, err := unquoteReg(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n+1, err)
			}
			var v Value
			switch {
			case strings.HasPrefix(rest, `="`):
				s, tail, err := unquoteReg(rest[1:])
				if err != nil || tail != "" {
					return nil, fmt.Errorf("line %d: bad string %q", n+1, line)
				}
				v = Value{Type: "string", Data: s}
			case strings.HasPrefix(rest, "=dword:"):
				d, err := strconv.ParseUint(rest[len("=dword:"):], 16, 32)
				if err != nil {
					return nil, fmt.Errorf("line %d: bad dword %q", n+1, line)
				}
				v = Value{Type: "dword", Data: strconv.FormatUint(d, 10)}
			default:
				return nil, fmt.Errorf("line %d: unexpected value %q", n+1, line)
			}
			if vals[key] == nil {
				vals[key] = map[string]Value{}
			}
			vals[key][name] = v
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", n+1, line)
		}
	}
	return vals, nil
}

// unquoteReg reads a "quoted" .reg string at the start of s (escapes \\ and \")
// and returns it with the rest of s.
func unquoteReg(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, fmt.Errorf("expected a quoted string in %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return "", "", fmt.Errorf("dangling escape in %q", s)
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated string in %q", s)
}

// netshStub matches the line Wine's netsh stub logs with WINEDEBUG=fixme+netsh:
// the exact argv it received after cmd's parsing.
var netshStub = regexp.MustCompile(`fixme:netsh:wmain stub:((?: L"(?:[^"\\]|\\.)*")+)`)

var wideString = regexp.MustCompile(`L"((?:[^"\\]|\\.)*)"`)

// RunBatch runs a batch file with Wine's cmd.exe and returns its exit code,
// everything it printed, and the argv of every netsh call (argv[0] dropped).
func (w *Wine) RunBatch(path string) (int, string, [][]string) {
	out, err := w.Run(",fixme+netsh", "cmd", "/c", Path(path))
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("wine cmd: %v", err)
	}
	var calls [][]string
	var rest []string
	for _, line := range strings.Split(out, "\n") {
		m := netshStub.FindStringSubmatch(line)
		if m == nil {
			if strings.TrimSpace(line) != "" {
				rest = append(rest, line)
			}
			continue
		}
		var argv []string
		for _, a := range wideString.FindAllStringSubmatch(m[1], -1) {
			argv = append(argv, unescapeC(a[1]))
		}
		calls = append(calls, argv[1:])
	}
	return code, strings.Join(rest, "\n"), calls
}

// unescapeC undoes Wine's debug escaping of a wide string (\\, \", \n, \t).
func unescapeC(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
