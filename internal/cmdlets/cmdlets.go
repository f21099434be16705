// Package cmdlets holds the documented parameter sets of the cmdlets the
// generated ConfigMgr and Group Policy scripts call, written from Microsoft's
// cmdlet reference (each entry names its page; docs/channels.md lists them),
// and checks a parsed script's commands against them: every cmdlet known,
// every parameter in one parameter set, that set's required parameters given,
// and enumerated values among the accepted ones. Tests use it; the scripts'
// facts cannot drift from the reference unnoticed.
package cmdlets

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mdeproxyc/mdeproxyc/internal/validators"
)

// Cmdlet is one cmdlet's documented syntax.
type Cmdlet struct {
	// Page is the title of the Microsoft reference page the sets are from.
	Page string
	// Sets maps a parameter set's name to its parameters, written
	// "[@][!]Name[=[A|B|C]]": @ positional (in order), ! required, = takes a
	// value (after it, the accepted values of an enumeration, if any); a name
	// without = is a switch.
	Sets map[string]string
}

// Common are the common parameters every cmdlet takes (<CommonParameters>,
// about_CommonParameters).
var Common = []string{"Debug", "ErrorAction=", "ErrorVariable=", "InformationAction=", "InformationVariable=",
	"OutVariable=", "OutBuffer=", "PipelineVariable=", "Verbose", "WarningAction=", "WarningVariable="}

const (
	cmWildcard = " DisableWildcardHandling ForceWildcardHandling"
	confirm    = " WhatIf Confirm"
	// The enumerations of the script deployment type cmdlets, as the
	// Add-CMScriptDeploymentType page lists their accepted values;
	// Set-CMScriptDeploymentType takes the same types.
	scriptLanguage   = "ScriptLanguage=PowerShell|VBScript|JavaScript"
	installBehavior  = "InstallationBehaviorType=InstallForUser|InstallForSystem|InstallForSystemIfResourceIsDeviceOtherwiseInstallForUser"
	logonRequirement = "LogonRequirementType=OnlyWhenUserLoggedOn|WhereOrNotUserLoggedOn|WhetherOrNotUserLoggedOn|OnlyWhenNoUserLoggedOn"
	rebootBehavior   = "RebootBehavior=BasedOnExitCode|NoAction|ForceReboot|ProgramReboot"
	slowNetwork      = "SlowNetworkDeploymentMode=DoNothing|Download"
	uninstallOption  = "UninstallOption=SameAsInstall|NoneRequired|Different"
	// RegistryValueKind, as the Set-GPRegistryValue page lists it.
	registryValueKind = "Type=Unknown|String|ExpandString|Binary|DWord|MultiString|QWord|None"
)

// Table is every cmdlet the generated scripts may call.
var Table = map[string]Cmdlet{
	// PowerShell itself.
	"Get-Command": {Page: "Get-Command (Microsoft.PowerShell.Core)", Sets: map[string]string{
		"AllCommandSet": "@Name= @ArgumentList= Module= FullyQualifiedModule= CommandType= TotalCount= Syntax ShowCommandInfo All ListImported ParameterName= ParameterType=",
	}},
	"Write-Output": {Page: "Write-Output (Microsoft.PowerShell.Utility)", Sets: map[string]string{
		"Default": "@!InputObject= NoEnumerate",
	}},
	"Set-StrictMode": {Page: "Set-StrictMode (Microsoft.PowerShell.Core)", Sets: map[string]string{
		"Version": "!Version=", "Off": "Off",
	}},

	// ConfigurationManager module.
	"Get-CMApplication": {Page: "Get-CMApplication", Sets: map[string]string{
		"SearchByName": "@Name= Fast ShowHidden" + cmWildcard,
	}},
	"New-CMApplication": {Page: "New-CMApplication", Sets: map[string]string{
		"Default": "AddOwner= AddSupportContact= AppCatalog= AutoInstall= DefaultLanguageId= Description= DisplaySupersedenceInApplicationCatalog= IconLocationFile= IsFeatured= Keyword= LinkText= LocalizedDescription= LocalizedName= @!Name= OptionalReference= Owner= PrivacyUrl= Publisher= ReleaseDate= SoftwareVersion= SupportContact= UserDocumentation=" + cmWildcard + confirm,
	}},
	"Set-CMApplication": {Page: "Set-CMApplication", Sets: map[string]string{
		"SetByName": "AddAppCatalog= AddAppCategory= AddOwner= AddSupportContact= AddUserCategory= AppCategory= ApplyToLanguageById= AutoInstall= CleanAppCategory CleanUserCategory ClearAppCatalog ClearOwner ClearSupportContact DefaultLanguageId= Description= DisplaySupersedenceInApplicationCatalog= DistributionPointSetting=AutoDownload|DeltaCopy|NoDownload DistributionPriority=High|Medium|Low IconLocationFile= IsFeatured= Keyword= LinkText= LocalizedApplicationName= LocalizedDescription= @!Name= NewName= OptionalReference= Owner= PassThru PrivacyUrl= Publisher= ReleaseDate= RemoveAppCatalog= RemoveAppCategoryName= RemoveOwner= RemoveSupportContact= RemoveUserCategoryName= SendToProtectedDistributionPoint= SoftwareVersion= SupportContact= UserCategory= UserDocumentation=" + cmWildcard + confirm,
	}},
	"Get-CMDeploymentType": {Page: "Get-CMDeploymentType", Sets: map[string]string{
		"SearchByName": "DeploymentTypeName= !ApplicationName=" + cmWildcard,
	}},
	"Add-CMScriptDeploymentType": {Page: "Add-CMScriptDeploymentType", Sets: map[string]string{
		"ByAppNameScript": "ContentLocation= !DeploymentTypeName= !InstallCommand= !ApplicationName= CacheContent ContentFallback EnableBranchCache EstimatedRuntimeMins= Force32Bit ForceScriptDetection32Bit " + installBehavior + " InstallWorkingDirectory= " + logonRequirement + " MaximumRuntimeMins= " + rebootBehavior + " RepairCommand= RepairWorkingDirectory= RequireUserInteraction ScriptFile= !" + scriptLanguage + " ScriptText= " + slowNetwork + " SourceUpdateProductCode= UninstallCommand= UninstallContentLocation= " + uninstallOption + " UninstallWorkingDirectory= UserInteractionMode= AddRequirement= RemoveLanguage= RemoveRequirement= AddLanguage= Comment= Force" + cmWildcard + confirm,
	}},
	"Set-CMScriptDeploymentType": {Page: "Set-CMScriptDeploymentType", Sets: map[string]string{
		"ByAppName": "ContentLocation= AddDetectionClause= RemoveDetectionClause= GroupDetectionClauses= DetectionClauseConnector= EnableBranchCache= EstimatedRuntimeMins= InstallCommand= UninstallCommand= UserInteractionMode= " + logonRequirement + " MaximumRuntimeMins= CacheContent= RequireUserInteraction= ContentFallback= " + slowNetwork + " InstallWorkingDirectory= UninstallWorkingDirectory= Force32Bit= ProductCode= ScriptText= ScriptFile= ForceScriptDetection32Bit= " + scriptLanguage + " SourceUpdateProductCode= " + installBehavior + " " + rebootBehavior + " UninstallContentLocation= " + uninstallOption + " AddRequirement= !ApplicationName= !DeploymentTypeName= NewName= RemoveRequirement= RemoveLanguage= PassThru AddLanguage= Comment= Force" + cmWildcard + confirm,
	}},

	// GroupPolicy module.
	"Get-GPO": {Page: "Get-GPO", Sets: map[string]string{
		"ByName": "@!Name= @Domain= @Server= All",
		"GetAll": "@Domain= @Server= All",
	}},
	"New-GPO": {Page: "New-GPO", Sets: map[string]string{
		"New": "@!Name= Comment= Domain= Server=" + confirm,
	}},
	"Get-GPRegistryValue": {Page: "Get-GPRegistryValue", Sets: map[string]string{
		"GetByName": "@!Name= !Key= ValueName= Domain= Server=",
	}},
	"Set-GPRegistryValue": {Page: "Set-GPRegistryValue", Sets: map[string]string{
		"ByName": "@!Name= !Key= ValueName= Value= " + registryValueKind + " Domain= Server= Additive Disable ValuePrefix=" + confirm,
	}},
	"Remove-GPRegistryValue": {Page: "Remove-GPRegistryValue", Sets: map[string]string{
		"GetByName": "@!Name= @!Key= @ValueName= @Domain= @Server=" + confirm,
	}},
	"Get-GPInheritance": {Page: "Get-GPInheritance", Sets: map[string]string{
		"Default": "@!Target= Domain= Server=",
	}},
	"New-GPLink": {Page: "New-GPLink", Sets: map[string]string{
		"LinkbyName": "@!Name= !Target= LinkEnabled=Unspecified|No|Yes Order= Domain= Server= Enforced=Unspecified|No|Yes" + confirm,
	}},
}

// Accepted returns the accepted values of an enumerated parameter of a
// cmdlet's parameter set, for tests that check the data a script passes in a
// variable; nil when the parameter takes any value.
func Accepted(cmdlet, set, name string) []string {
	for _, p := range parseSet(Table[cmdlet].Sets[set]) {
		if p.name == name {
			return p.accepted
		}
	}
	return nil
}

// param is one parameter of a set.
type param struct {
	name       string
	positional bool
	required   bool
	value      bool
	accepted   []string
}

func parseSet(spec string) []param {
	var out []param
	for _, f := range append(strings.Fields(spec), Common...) {
		var p param
		if p.positional = strings.HasPrefix(f, "@"); p.positional {
			f = f[1:]
		}
		if p.required = strings.HasPrefix(f, "!"); p.required {
			f = f[1:]
		}
		if name, values, ok := strings.Cut(f, "="); ok {
			p.name, p.value = name, true
			if values != "" {
				p.accepted = strings.Split(values, "|")
			}
		} else {
			p.name = f
		}
		out = append(out, p)
	}
	return out
}

// Check returns one line per problem with the commands of a parsed script:
// an unknown command, or arguments that fit none of its documented sets.
func Check(f validators.PSFile) []string {
	var problems []string
	for _, c := range f.Commands {
		cmd, ok := Table[c.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("line %d: %s is not in the table of documented cmdlets", c.Line, c.Name))
			continue
		}
		args, err := expandSplats(f, c.Args)
		if err != "" {
			problems = append(problems, fmt.Sprintf("line %d: %s: %s", c.Line, c.Name, err))
			continue
		}
		var why []string
		fits := false
		for _, setName := range sortedKeys(cmd.Sets) {
			err := fit(parseSet(cmd.Sets[setName]), args)
			if err == "" {
				fits = true
				break
			}
			why = append(why, setName+": "+err)
		}
		if !fits {
			problems = append(problems, fmt.Sprintf("line %d: %s fits no parameter set of the %q reference page (%s)", c.Line, c.Name, cmd.Page, strings.Join(why, "; ")))
		}
	}
	return problems
}

// expandSplats replaces a splatted hashtable (@Name) by its entries, written
// as -Key value pairs, so they are checked like the other arguments. The
// hashtable must be a literal assigned once in the script.
func expandSplats(f validators.PSFile, args []validators.PSValue) ([]validators.PSValue, string) {
	var out []validators.PSValue
	for _, a := range args {
		var text string
		if a.Kind != "variable" || jsonString(a, &text) != nil || !strings.HasPrefix(text, "@") {
			out = append(out, a)
			continue
		}
		v, ok := f.Assigned("$" + text[1:])
		if !ok {
			return nil, "splats " + text + ", which is never assigned"
		}
		h, err := v.Hash()
		if err != nil {
			return nil, "splats " + text + ": " + err.Error()
		}
		for _, k := range sortedKeys(h) {
			name, _ := json.Marshal("-" + k)
			out = append(out, validators.PSValue{Kind: "param", Value: name}, h[k])
		}
	}
	return out, ""
}

// fit matches arguments to one parameter set, or says why they do not fit.
func fit(set []param, args []validators.PSValue) string {
	byName := map[string]param{}
	var positional []param
	for _, p := range set {
		byName[strings.ToLower(p.name)] = p
		if p.positional {
			positional = append(positional, p)
		}
	}
	given := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a.Kind == "param" {
			var text string
			_ = jsonString(a, &text)
			name := strings.TrimSuffix(strings.TrimPrefix(text, "-"), ":")
			p, ok := byName[strings.ToLower(name)]
			if !ok {
				return "no parameter -" + name
			}
			if p.name != name {
				return fmt.Sprintf("-%s is spelt -%s", name, p.name)
			}
			if given[p.name] {
				return "-" + p.name + " given twice"
			}
			given[p.name] = true
			if !p.value {
				continue
			}
			if i+1 >= len(args) || args[i+1].Kind == "param" {
				return "-" + p.name + " takes a value"
			}
			i++
			// A variable's values are the caller's to check (Accepted).
			if v := tokenText(args[i]); p.accepted != nil && v != "" {
				if !slices.Contains(p.accepted, v) {
					return fmt.Sprintf("-%s %s is not one of %s", p.name, v, strings.Join(p.accepted, ", "))
				}
			}
			continue
		}
		// A value without a parameter name binds to the next positional
		// parameter not given by name.
		bound := false
		for _, p := range positional {
			if !given[p.name] {
				given[p.name], bound = true, true
				if p.accepted != nil && !slices.Contains(p.accepted, tokenText(a)) {
					return fmt.Sprintf("-%s %s is not one of %s", p.name, tokenText(a), strings.Join(p.accepted, ", "))
				}
				break
			}
		}
		if !bound {
			return "a value no positional parameter takes"
		}
	}
	for _, p := range set {
		if p.required && !given[p.name] {
			return "required -" + p.name + " missing"
		}
	}
	return ""
}

// tokenText is a bare word or a single-quoted string as text, else "".
func tokenText(v validators.PSValue) string {
	var s string
	if v.Kind != "token" && v.Kind != "string" {
		return ""
	}
	_ = jsonString(v, &s)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonString reads a value's JSON as a string.
func jsonString(v validators.PSValue, s *string) error { return json.Unmarshal(v.Value, s) }
