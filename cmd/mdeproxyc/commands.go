package main

import "context"

// command is one subcommand: its usage line, one-line summary, and body. A
// body returns nil on success; any error is printed and turned into the exit
// code in one place (exitCode, errors.go).
type command struct {
	name    string
	usage   string
	summary string
	run     func(c *cli, ctx context.Context, args []string) error
}

// commands is the command table, in the order usage lists them. Each
// command's body lives in the file of its name (build.go, vet.go, …); a new
// command is a new file and one line here.
func commands() []command {
	return []command{
		{"build", "build [flags] [DIR]", "compile DIR (default .) into --out (default dist)", (*cli).build},
		{"vet", "vet [flags] [DIR]", "validate and lint; warnings and errors with rule IDs and file:line:col", (*cli).vet},
		{"diff", "diff OLD NEW | --base REV [DIR]", "what changes between two versions of the fleet, per profile and setting", (*cli).diff},
		{"publish", "publish intune [DIR]", "make Intune match the fleet: create, update, assign (and with --prune delete) its objects", (*cli).publishCmd},
		{"status", "status intune [DIR]", "what the devices report of the fleet's Intune objects: fine, remediated, failing, pending", (*cli).statusCmd},
		{"explain", "explain [DIR] -p NAME...", "for each profile named: each setting, where its value came from, which artifacts carry it", (*cli).explain},
		{"endpoints", "endpoints [DIR] -p NAME", "for one profile: the destinations its proxy must allow, with their sources", (*cli).endpoints},
		{"import", "import [-p NAME] FILE...", "print the profile that existing configuration (.reg, Registry.pol, netsh, mdatp JSON, wdav plist, Intune) describes", (*cli).importCmd},
		{"targets", "targets", "list the emitters, one line each", (*cli).targets},
		{"schema", "schema", "print the embedded CUE schema of the intent language", (*cli).schema},
		{"init", "init [DIR]", "write a starter fleet that builds as it is", (*cli).init},
		{"version", "version", "print the version, the commit and the Go version", (*cli).version},
		{"completion", "completion SHELL", "print a completion script for bash, zsh, fish or powershell", (*cli).completion},
	}
}
