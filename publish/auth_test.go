package publish

import (
	"errors"
	"strings"
	"testing"
)

// TestMissingCredentialIsOneLine: azidentity's chain of attempts, many lines
// long, becomes one line naming the methods and MDEPROXYC_GRAPH_TOKEN.
func TestMissingCredentialIsOneLine(t *testing.T) {
	chain := errors.New("DefaultAzureCredential: failed to acquire a token.\nAttempted credentials:\n\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID\n\tManagedIdentityCredential: no response\x1b[31m")
	msg := signInError("auto", chain).Error()
	if strings.ContainsAny(msg, "\n\x1b") || !strings.Contains(msg, TokenEnv) {
		t.Errorf("%q", msg)
	}
	for _, m := range AuthMethods[1:] {
		if !strings.Contains(msg, m) {
			t.Errorf("%q does not name --auth %s", msg, m)
		}
	}
	if msg := signInError("secret", chain).Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "--auth secret") || !strings.Contains(msg, TokenEnv) {
		t.Errorf("%q", msg)
	}
}

// TestTokensChecksTheGraphURL: the token source is made only for a URL
// CheckGraphURL accepts, so a credential is never asked for an http host.
func TestTokensChecksTheGraphURL(t *testing.T) {
	t.Setenv(TokenEnv, "")
	if _, err := Tokens("auto", "http://graph.example.com"); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("err = %v", err)
	}
}
