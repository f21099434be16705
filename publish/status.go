package publish

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/mdeproxyc/mdeproxyc/diag"
	"github.com/mdeproxyc/mdeproxyc/emitters"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// DeviceOverview is a custom configuration's deviceStatusOverview
// (#microsoft.graph.deviceConfigurationDeviceOverview), with Graph's names.
type DeviceOverview struct {
	PendingCount         int    `json:"pendingCount"`
	NotApplicableCount   int    `json:"notApplicableCount"`
	SuccessCount         int    `json:"successCount"`
	ErrorCount           int    `json:"errorCount"`
	FailedCount          int    `json:"failedCount"`
	LastUpdateDateTime   string `json:"lastUpdateDateTime,omitempty"`
	ConfigurationVersion int    `json:"configurationVersion,omitempty"`
}

// ScriptRunSummary is a platform script's runSummary
// (#microsoft.graph.deviceManagementScriptRunSummary).
type ScriptRunSummary struct {
	SuccessDeviceCount int `json:"successDeviceCount"`
	ErrorDeviceCount   int `json:"errorDeviceCount"`
	SuccessUserCount   int `json:"successUserCount"`
	ErrorUserCount     int `json:"errorUserCount"`
}

// HealthRunSummary is a remediation's runSummary
// (#microsoft.graph.deviceHealthScriptRunSummary).
type HealthRunSummary struct {
	NoIssueDetectedDeviceCount              int    `json:"noIssueDetectedDeviceCount"`
	IssueDetectedDeviceCount                int    `json:"issueDetectedDeviceCount"`
	DetectionScriptErrorDeviceCount         int    `json:"detectionScriptErrorDeviceCount"`
	DetectionScriptPendingDeviceCount       int    `json:"detectionScriptPendingDeviceCount"`
	DetectionScriptNotApplicableDeviceCount int    `json:"detectionScriptNotApplicableDeviceCount"`
	IssueRemediatedDeviceCount              int    `json:"issueRemediatedDeviceCount"`
	RemediationSkippedDeviceCount           int    `json:"remediationSkippedDeviceCount"`
	IssueReoccurredDeviceCount              int    `json:"issueReoccurredDeviceCount"`
	RemediationScriptErrorDeviceCount       int    `json:"remediationScriptErrorDeviceCount"`
	IssueRemediatedCumulativeDeviceCount    int    `json:"issueRemediatedCumulativeDeviceCount"`
	LastScriptRunDateTime                   string `json:"lastScriptRunDateTime,omitempty"`
}

// ProfileStatus is what Graph reports of one profile's objects: the three
// summaries as Graph gives them, and the row `status intune` prints.
type ProfileStatus struct {
	Profile string `json:"profile"`
	// Published is false when none of the profile's objects is in Intune.
	Published bool `json:"published"`
	// Missing names the objects of a published profile not found.
	Missing []string `json:"missing,omitempty"`

	Configuration  *DeviceOverview   `json:"configuration,omitempty"`
	PlatformScript *ScriptRunSummary `json:"platformScript,omitempty"`
	Remediation    *HealthRunSummary `json:"remediation,omitempty"`

	// The row: devices whose remediation found no issue, whose issue the
	// remediation fixed, that have not reported yet, to which it does not
	// apply; and failures of any object (see Failing).
	Fine          int `json:"fine"`
	Remediated    int `json:"remediated"`
	Pending       int `json:"pending"`
	NotApplicable int `json:"notApplicable"`
	// Failing sums the devices reporting an error, a failure or an issue
	// that reoccurred: the remediation's detectionScriptErrorDeviceCount,
	// remediationScriptErrorDeviceCount and issueReoccurredDeviceCount, the
	// platform script's errorDeviceCount, the configuration's errorCount and
	// failedCount. A device failing in two objects counts twice.
	Failing int `json:"failing"`

	// Error is set when Graph could not be read for this profile.
	Error string `json:"error,omitempty"`
}

// Status is the state of a fleet's Intune objects on the devices.
type Status struct {
	Profiles []ProfileStatus `json:"profiles"`
}

// Failed reports whether a device reports an error, a failure or a
// reoccurring issue, or Graph could not be read.
func (s *Status) Failed() bool {
	return slices.ContainsFunc(s.Profiles, func(p ProfileStatus) bool { return p.Failing > 0 || p.Error != "" })
}

// ReadStatus reads, for every profile with Intune bodies (render says which
// objects it has), the summaries of its objects found by their marker. It
// writes nothing; read permission is enough (docs/intune-publish.md).
func ReadStatus(ctx context.Context, c *Client, profiles []*model.Profile, render func(*model.Profile) ([]emitters.File, error)) (*Status, error) {
	found, err := listMarked(ctx, c)
	if err != nil {
		return nil, err
	}
	ps := slices.Clone(profiles)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	st := &Status{}
	for _, p := range ps {
		files, err := render(p)
		if err != nil {
			st.Profiles = append(st.Profiles, ProfileStatus{Profile: p.Name, Error: err.Error()})
			continue
		}
		has := map[string]bool{}
		for _, f := range files {
			has[f.Path] = true
		}
		row := ProfileStatus{Profile: p.Name}
		intune := false
		for _, k := range kinds {
			if !has[k.File] {
				continue
			}
			intune = true
			l := found[k][p.Name]
			if len(l) == 0 {
				row.Missing = append(row.Missing, k.Name)
				continue
			}
			row.Published = true
			if l[0].bad != "" {
				row.Error = describe(p.Name, k, l[0].name, "", fmt.Errorf("%s", l[0].bad))
				continue
			}
			path := k.Collection + "/" + pathEscape(l[0].id) + "/" + k.Summary
			var out any
			switch k.Summary {
			case "deviceStatusOverview":
				row.Configuration = &DeviceOverview{}
				out = row.Configuration
			case "runSummary":
				if k.Schedule {
					row.Remediation = &HealthRunSummary{}
					out = row.Remediation
				} else {
					row.PlatformScript = &ScriptRunSummary{}
					out = row.PlatformScript
				}
			}
			if err := c.Do(ctx, "GET", path, nil, out); err != nil {
				row.Error = describe(p.Name, k, l[0].name, l[0].id, err)
			}
		}
		if !intune {
			continue
		}
		if !row.Published {
			row.Missing = nil
		}
		row.count()
		st.Profiles = append(st.Profiles, row)
	}
	return st, nil
}

func (r *ProfileStatus) count() {
	if h := r.Remediation; h != nil {
		r.Fine = h.NoIssueDetectedDeviceCount
		r.Remediated = h.IssueRemediatedDeviceCount
		r.Pending = h.DetectionScriptPendingDeviceCount
		r.NotApplicable = h.DetectionScriptNotApplicableDeviceCount
		r.Failing += h.DetectionScriptErrorDeviceCount + h.RemediationScriptErrorDeviceCount + h.IssueReoccurredDeviceCount
	}
	if s := r.PlatformScript; s != nil {
		r.Failing += s.ErrorDeviceCount
	}
	if c := r.Configuration; c != nil {
		r.Failing += c.ErrorCount + c.FailedCount
		if r.Remediation == nil {
			r.Fine, r.Pending, r.NotApplicable = c.SuccessCount, c.PendingCount, c.NotApplicableCount
		}
	}
}

// Write prints the status: a table (text) or Graph's counts (json). Graph's
// text (error messages) goes through diag.Escape.
func (s *Status) Write(w io.Writer, format string) error {
	if format == "json" {
		return writeJSON(w, s)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "profile\tfine\tremediated\tfailing\tpending\tnot applicable\t")
	var notes []string
	failing, unpublished := 0, 0
	for _, p := range s.Profiles {
		switch {
		case !p.Published && p.Error == "":
			unpublished++
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t\n", p.Profile)
			notes = append(notes, p.Profile+": not published ('mdeproxyc publish intune' creates its objects)")
			continue
		default:
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", p.Profile, p.Fine, p.Remediated, p.Failing, p.Pending, p.NotApplicable)
		}
		failing += p.Failing
		if len(p.Missing) > 0 {
			notes = append(notes, p.Profile+": not published: "+strings.Join(p.Missing, ", "))
		}
		if p.Error != "" {
			notes = append(notes, diag.Escape(p.Error))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	_, err := fmt.Fprintf(w, "%d profiles, %d not published; %d device reports of an error, a failure or a reoccurring issue\n", len(s.Profiles), unpublished, failing)
	return err
}
