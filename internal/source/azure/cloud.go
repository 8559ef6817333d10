// Package azure is what the Microsoft collectors share: credentials through azidentity
// (client secret, certificate, managed identity, workload identity federation), the
// sovereign clouds' endpoints, an HTTP client that can trust a private CA, a request
// budget per app and tenant, Retry-After handling, and the cursor-and-overlap poll loop
// that the Graph and Activity Log sources run.
package azure

import (
	"fmt"
	"strings"
)

// Cloud is one Azure cloud's default endpoints.
type Cloud struct {
	Name  string
	Login string // Entra ID authority host
	Graph string // Microsoft Graph
	ARM   string // Azure Resource Manager
	// ARMAudience is the token audience ARM expects (its scope is this plus "/.default"),
	// as the Azure SDK's own cloud configurations name it.
	ARMAudience string
}

// Clouds are the sovereign clouds Vigil knows by name (`cloud: public|usgov|china`).
var clouds = map[string]Cloud{
	"public": {Name: "public", Login: "https://login.microsoftonline.com/", Graph: "https://graph.microsoft.com",
		ARM: "https://management.azure.com", ARMAudience: "https://management.azure.com"},
	"usgov": {Name: "usgov", Login: "https://login.microsoftonline.us/", Graph: "https://graph.microsoft.us",
		ARM: "https://management.usgovcloudapi.net", ARMAudience: "https://management.core.usgovcloudapi.net"},
	"china": {Name: "china", Login: "https://login.chinacloudapi.cn/", Graph: "https://microsoftgraph.chinacloudapi.cn",
		ARM: "https://management.chinacloudapi.cn", ARMAudience: "https://management.core.chinacloudapi.cn"},
}

// LookupCloud returns the named cloud's defaults; "" is the public cloud.
func LookupCloud(name string) (Cloud, error) {
	if name == "" {
		name = "public"
	}
	c, ok := clouds[strings.ToLower(name)]
	if !ok {
		return Cloud{}, fmt.Errorf("unknown cloud %q (want public, usgov or china)", name)
	}
	return c, nil
}

// knownLogin reports whether host is one of the clouds' own authorities, for which
// MSAL's instance discovery works; a custom authority (a proxy, Azure Stack, the
// emulator) has to skip it.
func knownLogin(login string) bool {
	for _, c := range clouds {
		if strings.TrimSuffix(c.Login, "/") == strings.TrimSuffix(login, "/") {
			return true
		}
	}
	return false
}
