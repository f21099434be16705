package publish

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats are the output formats of a plan.
var Formats = []string{"text", "json"}

// Write prints the result in the format ("text" or "json").
func (r *Result) Write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	for _, it := range r.Items {
		line := fmt.Sprintf("%-10s %-20s %-16s %q", it.Action, it.Profile, it.Object, it.DisplayName)
		if it.ID != "" {
			line += " id=" + it.ID
		}
		if len(it.Changed) > 0 {
			line += " changed: " + strings.Join(it.Changed, ", ")
		}
		if it.Action == ActionOrphaned {
			line += " (profile not in the fleet; --prune deletes it)"
		}
		if it.Error != "" {
			line += "\n  failed: " + it.Error
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
	for _, a := range []string{ActionCreate, ActionUpdate, ActionUnchanged, ActionOrphaned, ActionDelete} {
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
	_, err := fmt.Fprintf(w, "%s%s\n", strings.Join(parts, ", "), mode)
	return err
}
