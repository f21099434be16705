package publish

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/diag"
)

// Formats are the output formats of a plan.
var Formats = []string{"text", "json"}

// Write prints the result in the format ("text" or "json"). Text from Graph
// (ids, orphans' names and profiles, error messages, group ids of targets
// found there) is written through diag.Escape in text and as JSON strings in
// JSON, so no escape sequence or line break of Graph's reaches a terminal or
// a CI log.
func (r *Result) Write(w io.Writer, format string) error {
	if format == "json" {
		return writeJSON(w, r)
	}
	esc := diag.Escape
	for _, it := range r.Items {
		line := fmt.Sprintf("%-10s %-20s %-16s %q", it.Action, esc(it.Profile), it.Object, it.DisplayName)
		if it.ID != "" {
			line += " id=" + esc(it.ID)
		}
		if len(it.Changed) > 0 {
			line += " changed: " + esc(strings.Join(it.Changed, ", "))
		}
		if it.Action == ActionOrphaned {
			line += " (profile not in the fleet; --prune deletes it)"
		}
		for _, a := range it.Added {
			line += "\n  + " + esc(a)
		}
		for _, a := range it.Removed {
			line += "\n  - " + esc(a)
		}
		if it.Error != "" {
			line += "\n  failed: " + esc(it.Error)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	counts := map[string]int{}
	failed := 0
	for _, it := range r.Items {
		counts[it.Action]++
		if it.Error != "" {
			failed++
		}
	}
	var parts []string
	for _, a := range []string{ActionCreate, ActionUpdate, ActionUnchanged, ActionOrphaned, ActionDelete, ActionSkipped} {
		if counts[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
		}
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", failed))
	}
	if len(parts) == 0 {
		parts = []string{"nothing to publish"}
	}
	mode := ""
	if r.DryRun {
		mode = " (dry run: nothing was written)"
	}
	if r.Interrupted {
		mode = " (planned; interrupted: see what was written below)"
	}
	if _, err := fmt.Fprintf(w, "%s%s\n", strings.Join(parts, ", "), mode); err != nil {
		return err
	}
	if r.Interrupted {
		return r.writeAccount(w)
	}
	return nil
}

// writeJSON writes v indented, without HTML escaping: the JSON format of a
// plan and of a status.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Account counts what an interrupted run wrote: objects created, updated,
// assigned and deleted, and the objects that exist but were left without
// their assignments.
type Account struct {
	Created, Updated, Assigned, Deleted int
	// Unassigned are the objects ("profile object id") whose assignments
	// the run did not write although the intent asks for them.
	Unassigned []string
	// NotReached counts the objects the run did not get to.
	NotReached int
}

// Account says what the run wrote.
func (r *Result) Account() Account {
	var a Account
	for _, it := range r.Items {
		has := func(w string) bool {
			for _, x := range it.Wrote {
				if x == w {
					return true
				}
			}
			return false
		}
		if has("created") {
			a.Created++
		}
		if has("updated") {
			a.Updated++
		}
		if has("assigned") {
			a.Assigned++
		}
		if has("deleted") {
			a.Deleted++
		}
		assignWanted := len(it.Added)+len(it.Removed) > 0 || hasAssignmentField(it.Changed)
		if (has("created") || has("updated")) && assignWanted && !has("assigned") && it.Error == "" {
			a.Unassigned = append(a.Unassigned, it.Profile+" "+it.Object+" "+it.ID)
		}
		if it.Action == ActionSkipped {
			a.NotReached++
		}
	}
	return a
}

func hasAssignmentField(changed []string) bool {
	for _, c := range changed {
		if strings.HasPrefix(c, "assignments") {
			return true
		}
	}
	return false
}

func (r *Result) writeAccount(w io.Writer) error {
	a := r.Account()
	fmt.Fprintf(w, "interrupted: %d created, %d updated, %d assigned, %d deleted; %d left unassigned, %d not reached\n",
		a.Created, a.Updated, a.Assigned, a.Deleted, len(a.Unassigned), a.NotReached)
	for _, u := range a.Unassigned {
		fmt.Fprintf(w, "  left unassigned: %s\n", diag.Escape(u))
	}
	_, err := fmt.Fprintln(w, "run publish again to finish: it picks up from what Graph holds")
	return err
}
