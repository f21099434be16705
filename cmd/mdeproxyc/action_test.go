package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// actionFile is the repository's composite GitHub Action.
const actionFile = "../../action.yml"

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Shell string            `yaml:"shell"`
	Run   string            `yaml:"run"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
	// The other keys GitHub allows on a composite action's step.
	WorkingDirectory string `yaml:"working-directory"`
	ContinueOnError  string `yaml:"continue-on-error"`
}

// action is action.yml's metadata, every key GitHub allows: decoding with
// KnownFields rejects a misspelt one.
type action struct {
	Name        string            `yaml:"name"`
	Author      string            `yaml:"author"`
	Description string            `yaml:"description"`
	Branding    map[string]string `yaml:"branding"`
	Outputs     map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

func readAction(t *testing.T) (*action, []byte) {
	t.Helper()
	data, err := os.ReadFile(actionFile)
	if err != nil {
		t.Fatal(err)
	}
	var a action
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a, data
}

// TestActionStructure checks what GitHub requires of a composite action and
// what keeps its scripts safe: every run step names its shell, every input
// referenced is declared, and no ${{ }} expression is pasted into a script
// (inputs and branch names reach the scripts as environment variables).
func TestActionStructure(t *testing.T) {
	a, data := readAction(t)
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("name %q, description %q, runs.using %q, %d steps", a.Name, a.Description, a.Runs.Using, len(a.Runs.Steps))
	}
	for name, in := range a.Inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	for _, m := range regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`).FindAllStringSubmatch(string(data), -1) {
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("inputs.%s is used but not declared", m[1])
		}
	}
	ids := map[string]bool{}
	for _, s := range a.Runs.Steps {
		if s.ID != "" {
			ids[s.ID] = true
		}
		switch {
		case s.Uses != "" && s.Run != "":
			t.Errorf("step %q has both uses and run", s.Name)
		case s.Run != "" && s.Shell == "":
			t.Errorf("step %q: a composite action's run step needs shell", s.Name)
		case s.Run != "" && strings.Contains(s.Run, "${{"):
			t.Errorf("step %q pastes an expression into its script; pass it through env", s.Name)
		}
	}
	for _, m := range regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.`).FindAllStringSubmatch(string(data), -1) {
		if !ids[m[1]] {
			t.Errorf("steps.%s is used but no step has that id", m[1])
		}
	}
	for _, cmd := range []string{"vet \"$FLEET\" --format github", "build \"$FLEET\" -o \"$OUT\" --check", "diff --base \"origin/$BASE_REF\" \"$FLEET\" --format markdown"} {
		if !strings.Contains(string(data), cmd) {
			t.Errorf("action.yml does not run mdeproxyc %s", cmd)
		}
	}
}

// runStep runs one of the action's script steps as the runner would: bash,
// the step's env (with the given values for its ${{ }} expressions) and the
// runner's variables.
func runStep(t *testing.T, a *action, id string, env map[string]string, runner []string) (string, error) {
	t.Helper()
	i := slices.IndexFunc(a.Runs.Steps, func(s actionStep) bool { return s.ID == id || s.Name == id })
	if i < 0 {
		t.Fatalf("no step %q", id)
	}
	s := a.Runs.Steps[i]
	cmd := exec.Command("bash", "-c", s.Run)
	cmd.Env = append(os.Environ(), runner...)
	for k := range s.Env {
		v, ok := env[k]
		if !ok {
			t.Fatalf("step %q: no value for env %s", id, k)
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestActionRuns runs the action's shell steps against the example fleet:
// the install from the action's own checkout, vet, build --check on a fresh
// and a stale bundle, and the pull request's diff against a base branch.
func TestActionRuns(t *testing.T) {
	validators.Slow(t, "builds mdeproxyc with go install")
	for _, tool := range []string{"bash", "git", "go"} {
		validators.Tool(t, tool)
	}
	a, _ := readAction(t)
	root, _ := filepath.Abs("../..")
	tmp := t.TempDir()
	work := filepath.Join(tmp, "repo")
	if err := copyDir("../../examples/contoso", filepath.Join(work, "fleet")); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range []string{"GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		files[f] = filepath.Join(tmp, f)
		os.WriteFile(files[f], nil, 0o644)
	}
	runner := []string{"RUNNER_TEMP=" + tmp, "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
		"GITHUB_PATH=" + files["GITHUB_PATH"], "GITHUB_OUTPUT=" + files["GITHUB_OUTPUT"], "GITHUB_STEP_SUMMARY=" + files["GITHUB_STEP_SUMMARY"]}
	out, err := runStep(t, a, "install", map[string]string{"VERSION": "source", "ACTION_PATH": root, "ACTION_REPO": "mdeproxyc/mdeproxyc", "GH_TOKEN": ""}, runner)
	if err != nil || !strings.Contains(out, "mdeproxyc 0.1.0") {
		t.Fatalf("install: %v\n%s", err, out)
	}
	bin, _ := os.ReadFile(files["GITHUB_PATH"])
	runner = append(runner, "PATH="+strings.TrimSpace(string(bin))+string(os.PathListSeparator)+os.Getenv("PATH"))
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	chdir(t, work)
	if out, err := runStep(t, a, "vet", map[string]string{"FLEET": "fleet", "STRICT": "true"}, runner); err != nil || !strings.Contains(out, "10 profiles: 0 errors, 0 warnings") {
		t.Fatalf("vet: %v\n%s", err, out)
	}
	if out, err := exec.Command(filepath.Join(strings.TrimSpace(string(bin)), "mdeproxyc"), "build", "fleet", "-o", "dist").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	check := map[string]string{"FLEET": "fleet", "OUT": "dist"}
	if out, err := runStep(t, a, "check", check, runner); err != nil {
		t.Fatalf("build --check on a fresh bundle: %v\n%s", err, out)
	}
	git("init", "-q", "-b", "main")
	git("add", "fleet")
	git("commit", "-q", "-m", "fleet")
	git("update-ref", "refs/remotes/origin/main", "HEAD")
	sites := filepath.Join(work, "fleet", "sites.cue")
	src, _ := os.ReadFile(sites)
	os.WriteFile(sites, []byte(strings.Replace(string(src), `"10.20.0.5:3128"`, `"10.20.0.7:3128"`, 1)), 0o644)
	if out, err := runStep(t, a, "check", check, runner); err == nil || !strings.Contains(out, "berlin") {
		t.Fatalf("build --check on a stale bundle: %v\n%s", err, out)
	}
	if out, err := runStep(t, a, "diff", map[string]string{"FLEET": "fleet", "BASE_REF": "main"}, runner); err != nil {
		t.Fatalf("diff: %v\n%s", err, out)
	}
	if o, _ := os.ReadFile(files["GITHUB_OUTPUT"]); string(o) != "changed=true\n" {
		t.Errorf("GITHUB_OUTPUT %q", o)
	}
	if s, _ := os.ReadFile(files["GITHUB_STEP_SUMMARY"]); !strings.Contains(string(s), "10.20.0.7:3128") {
		t.Errorf("step summary:\n%s", s)
	}
}

// chdir changes the working directory for the rest of the test.
func chdir(t *testing.T, dir string) {
	t.Helper()
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(old) })
}
