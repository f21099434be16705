package main

import (
	"fmt"
	"testing"
)

// TestOneProfileEditAtEverySize: the workflow's one-profile edit finds a
// site's own proxy in the fleets fleetgen writes at every size the
// benchmark is run at (it once looked for site-000002's, which exists only
// at some sizes), and changes that one port digit alone.
func TestOneProfileEditAtEverySize(t *testing.T) {
	for _, n := range []int{1000, 10000, 100000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			original, changed, err := editedFleet(n)
			if err != nil {
				t.Fatal(err)
			}
			if len(changed) != len(original) {
				t.Fatalf("the edit changed the length: %d -> %d bytes", len(original), len(changed))
			}
			var at []int
			for i := range original {
				if original[i] != changed[i] {
					at = append(at, i)
				}
			}
			if len(at) != 1 || original[at[0]] != '8' || changed[at[0]] != '9' {
				t.Fatalf("the edit changed bytes at %v; want one port's last digit 8 -> 9", at)
			}
		})
	}
}
