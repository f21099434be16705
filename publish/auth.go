package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/mdeproxyc/mdeproxyc/diag"
)

// TokenEnv names the environment variable holding a ready bearer token, for
// pipelines that already have one.
const TokenEnv = "MDEPROXYC_GRAPH_TOKEN"

// AuthMethods are the values of --auth (docs/intune-publish.md).
var AuthMethods = []string{"auto", "secret", "certificate", "workload-identity", "github-oidc", "managed-identity", "azure-cli"}

// NationalClouds maps the Graph hosts of the national clouds to the cloud
// whose Entra authority issues their tokens.
var NationalClouds = map[string]cloud.Configuration{
	"graph.microsoft.com":             cloud.AzurePublic,
	"graph.microsoft.us":              cloud.AzureGovernment,
	"dod-graph.microsoft.us":          cloud.AzureGovernment,
	"microsoftgraph.chinacloudapi.cn": cloud.AzureChina,
}

// Tokens returns the token source for method and the Graph endpoint: the
// token in MDEPROXYC_GRAPH_TOKEN when it is set, else an azidentity
// credential for the Graph scope of that endpoint (<graph URL>/.default).
func Tokens(method, graphURL string) (TokenSource, error) {
	if t := strings.TrimSpace(os.Getenv(TokenEnv)); t != "" && (method == "auto" || method == "") {
		return func(context.Context) (string, error) { return t, nil }, nil
	}
	base, err := CheckGraphURL(graphURL)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(base)
	opts := azcore.ClientOptions{}
	if c, ok := NationalClouds[strings.ToLower(u.Hostname())]; ok {
		opts.Cloud = c
	}
	cred, err := credential(method, opts)
	if err != nil {
		return nil, err
	}
	scope := base + "/.default"
	return func(ctx context.Context) (string, error) {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			return "", signInError(method, err)
		}
		return tok.Token, nil
	}, nil
}

// signInError is one line for a failed sign-in. azidentity's own error lists
// every credential of its chain over many lines, with Entra's answers; a
// missing credential needs only what to set, and a refused one the reason,
// escaped (it holds the identity provider's text).
func signInError(method string, err error) error {
	var failed *azidentity.AuthenticationFailedError
	if errors.As(err, &failed) {
		msg := err.Error()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return fmt.Errorf("--auth %s: signing in failed: %s", method, diag.Escape(msg))
	}
	if method == "" || method == "auto" {
		return fmt.Errorf("no credential for Microsoft Graph: set %s to a bearer token, or the environment of one of --auth %s (tried: environment, workload identity, managed identity, Azure CLI)", TokenEnv, strings.Join(AuthMethods[1:], ", "))
	}
	return fmt.Errorf("--auth %s found no credential: see the variables docs/intune-publish.md lists for it, or set %s", method, TokenEnv)
}

func credential(method string, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	tenant, client := os.Getenv("AZURE_TENANT_ID"), os.Getenv("AZURE_CLIENT_ID")
	need := func(names ...string) error {
		var missing []string
		for _, n := range names {
			if os.Getenv(n) == "" {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("--auth %s needs the environment variable%s %s", method, map[bool]string{true: "s", false: ""}[len(missing) > 1], strings.Join(missing, ", "))
		}
		return nil
	}
	switch method {
	case "", "auto":
		// Environment (secret or certificate), workload identity, managed
		// identity, Azure CLI: the first that works.
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts})
	case "secret":
		if err := need("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"); err != nil {
			return nil, err
		}
		return azidentity.NewClientSecretCredential(tenant, client, os.Getenv("AZURE_CLIENT_SECRET"), &azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	case "certificate":
		if err := need("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH"); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH"))
		if err != nil {
			return nil, err
		}
		var pw []byte
		if p := os.Getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"); p != "" {
			pw = []byte(p)
		}
		certs, key, err := azidentity.ParseCertificates(data, pw)
		if err != nil {
			return nil, fmt.Errorf("AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
		}
		return azidentity.NewClientCertificateCredential(tenant, client, certs, key, &azidentity.ClientCertificateCredentialOptions{ClientOptions: opts})
	case "workload-identity":
		if err := need("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"); err != nil {
			return nil, err
		}
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: opts})
	case "github-oidc":
		if err := need("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"); err != nil {
			return nil, fmt.Errorf("%w (give the job `permissions: id-token: write`)", err)
		}
		return azidentity.NewClientAssertionCredential(tenant, client, githubOIDCToken, &azidentity.ClientAssertionCredentialOptions{ClientOptions: opts})
	case "managed-identity":
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if client != "" {
			o.ID = azidentity.ClientID(client)
		}
		return azidentity.NewManagedIdentityCredential(o)
	case "azure-cli":
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenant})
	}
	return nil, fmt.Errorf("unknown --auth %q; methods are: %s", method, strings.Join(AuthMethods, ", "))
}

// githubOIDCToken asks the GitHub Actions runner for an ID token with the
// audience Entra expects of a federated credential (api://AzureADTokenExchange).
func githubOIDCToken(ctx context.Context) (string, error) {
	u, err := url.Parse(os.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL"))
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("audience", "api://AzureADTokenExchange")
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "bearer "+os.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GitHub's OIDC token endpoint answered HTTP %d", resp.StatusCode)
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Value == "" {
		return "", fmt.Errorf("GitHub's OIDC token endpoint gave no token")
	}
	return v.Value, nil
}
