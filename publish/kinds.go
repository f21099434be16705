package publish

import (
	"github.com/mdeproxyc/mdeproxyc/internal/intunegraph"
	"github.com/mdeproxyc/mdeproxyc/model"
)

// kind is one of the three Intune object types a profile becomes. Paths,
// types and body shapes are those of docs/intune-publish.md.
type kind struct {
	// Name is how reports name the object ("configuration").
	Name string
	// File is the body the intune emitter writes for it.
	File string
	// Collection is the Graph collection, version included.
	Collection string
	// ODataType is the body's @odata.type.
	ODataType string
	// Content lists the properties a list may leave out (the scripts).
	Content []string
	// AssignKey is the assign action's collection property, and
	// AssignmentType its elements' @odata.type.
	AssignKey, AssignmentType string
	// Schedule is set for the remediation, whose assignments carry a run
	// schedule and say to run the remediation script.
	Schedule bool
	// Summary is the object's device status summary under its path, which
	// `status intune` reads.
	Summary string
}

// The object kinds, in the order a profile's objects are published.
var kinds = []*kind{
	{
		Name: "configuration", File: intunegraph.ConfigurationPath,
		Collection: "/v1.0/deviceManagement/deviceConfigurations",
		ODataType:  "#microsoft.graph.windows10CustomConfiguration",
		AssignKey:  "assignments", AssignmentType: "#microsoft.graph.deviceConfigurationAssignment",
		Summary: "deviceStatusOverview",
	},
	{
		Name: "platform script", File: intunegraph.ScriptPath,
		Collection: "/beta/deviceManagement/deviceManagementScripts",
		ODataType:  "#microsoft.graph.deviceManagementScript",
		Content:    []string{"scriptContent"},
		AssignKey:  "deviceManagementScriptAssignments", AssignmentType: "#microsoft.graph.deviceManagementScriptAssignment",
		Summary: "runSummary",
	},
	{
		Name: "remediation", File: intunegraph.RemediationPath,
		Collection: "/beta/deviceManagement/deviceHealthScripts",
		ODataType:  "#microsoft.graph.deviceHealthScript",
		Content:    []string{"detectionScriptContent", "remediationScriptContent"},
		AssignKey:  "deviceHealthScriptAssignments", AssignmentType: "#microsoft.graph.deviceHealthScriptAssignment",
		Schedule: true, Summary: "runSummary",
	},
}

// The assignment targets (docs/intune-publish.md).
const (
	targetGroup      = "#microsoft.graph.groupAssignmentTarget"
	targetExclusion  = "#microsoft.graph.exclusionGroupAssignmentTarget"
	targetAllDevices = "#microsoft.graph.allDevicesAssignmentTarget"
)

// target is one assignment target: its type and group (empty for all devices).
type target struct {
	Type    string `json:"type"`
	GroupID string `json:"groupId,omitempty"`
}

func (t target) String() string {
	switch t.Type {
	case targetAllDevices:
		return "include " + model.AllDevices
	case targetExclusion:
		return "exclude " + t.GroupID
	}
	return "include " + t.GroupID
}

// targets are the assignment targets a profile's intent asks for, in the
// intent's order.
func targets(p *model.Profile) []target {
	var out []target
	for _, g := range p.Intune.Include {
		if g == model.AllDevices {
			out = append(out, target{Type: targetAllDevices})
		} else {
			out = append(out, target{Type: targetGroup, GroupID: g})
		}
	}
	for _, g := range p.Intune.Exclude {
		out = append(out, target{Type: targetExclusion, GroupID: g})
	}
	return out
}

// assignBody is the assign action's request body for targets.
func (k *kind) assignBody(ts []target) map[string]any {
	list := []any{}
	for _, t := range ts {
		tgt := map[string]any{"@odata.type": t.Type}
		if t.GroupID != "" {
			tgt["groupId"] = t.GroupID
		}
		a := map[string]any{"@odata.type": k.AssignmentType, "target": tgt}
		if k.Schedule {
			a["runRemediationScript"] = true
			if t.Type != targetExclusion {
				a["runSchedule"] = map[string]any{
					"@odata.type": "#microsoft.graph.deviceHealthScriptDailySchedule",
					"interval":    1, "useUtc": false, "time": remediationTime,
				}
			}
		}
		list = append(list, a)
	}
	return map[string]any{k.AssignKey: list}
}

// remediationTime is when, in the device's local time, the remediation's daily
// detection runs.
const remediationTime = "12:00:00"
