package compile

import "regexp"

// distinguishedNameGrammar is what windows.gpo.links accepts: the LDAP
// distinguished name of an OU or a domain, the -Target of New-GPLink
// (docs/channels.md). It is stricter than LDAP: no quotes, backslashes, escaped
// commas or '+' multi-valued parts, so a name can never end the single-quoted
// PowerShell literal it is written into, nor need escaping in any consumer.
var distinguishedNameGrammar = grammar{
	check: plain(func(s string) string {
		if !dnRE.MatchString(s) {
			return "not a distinguished name of the allowed form"
		}
		return tooLong(s, maxTextRunes)
	}),
	allowed: `an LDAP distinguished name such as "OU=Servers,OU=Branch,DC=contoso,DC=com": OU= or CN= parts of letters, digits, spaces, '.', '_' or '-' (not starting or ending with a space), then one or more DC= labels; no quotes, backslashes or escaped characters`,
}

// dnRE is the schema's #DistinguishedName pattern.
var dnRE = regexp.MustCompile(`^(([Oo][Uu]|[Cc][Nn])=[A-Za-z0-9]([A-Za-z0-9 ._-]*[A-Za-z0-9])?,)*([Dd][Cc]=[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(,[Dd][Cc]=[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
