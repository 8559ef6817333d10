package activitylog

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// operationTable maps ARM operations (as the Activity Log names them; matched without case)
// to categories. A trailing "*" matches any operation with that prefix. Operations not
// listed fall back to the verb of the operation (write/delete/read/action).
func operationTable() map[event.Category][]string {
	return map[event.Category][]string{
		event.CategoryRoleAssignment: {"Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/elevateAccess/action",
			"Microsoft.Authorization/roleEligibilityScheduleRequests/write", "Microsoft.Authorization/roleAssignmentScheduleRequests/write",
			"Microsoft.Authorization/classicAdministrators/write"},
		event.CategoryRoleRemoval: {"Microsoft.Authorization/roleAssignments/delete", "Microsoft.Authorization/classicAdministrators/delete"},
		event.CategoryRoleChange:  {"Microsoft.Authorization/roleDefinitions/write", "Microsoft.Authorization/roleDefinitions/delete"},
		event.CategoryPolicyGovernance: {"Microsoft.Authorization/policyAssignments/*", "Microsoft.Authorization/policyDefinitions/*",
			"Microsoft.Authorization/policySetDefinitions/*", "Microsoft.Authorization/policyExemptions/*",
			"Microsoft.Authorization/locks/*", "Microsoft.Management/managementGroups/*", "Microsoft.Blueprint/*"},
		event.CategoryLoggingChange: {"Microsoft.Insights/diagnosticSettings/*", "Microsoft.Insights/logProfiles/*",
			"Microsoft.OperationalInsights/workspaces/delete", "Microsoft.OperationalInsights/workspaces/dataSources/delete",
			"Microsoft.OperationalInsights/workspaces/tables/delete", "Microsoft.Insights/dataCollectionRules/delete",
			"Microsoft.Insights/dataCollectionRuleAssociations/delete", "Microsoft.Network/networkWatchers/flowLogs/delete",
			"Microsoft.Network/networkWatchers/flowLogs/write", "Microsoft.aadiam/diagnosticSettings/*",
			"Microsoft.OperationalInsights/workspaces/purge/action", "Microsoft.SecurityInsights/*/delete"},
		event.CategorySecurityChange: {"Microsoft.Security/pricings/write", "Microsoft.Security/securityContacts/*",
			"Microsoft.Security/autoProvisioningSettings/write", "Microsoft.Security/settings/write", "Microsoft.Security/policies/write",
			"Microsoft.Security/workspaceSettings/*", "Microsoft.Security/alertsSuppressionRules/*",
			"Microsoft.Insights/activityLogAlerts/delete", "Microsoft.Insights/metricAlerts/delete",
			"Microsoft.Insights/scheduledQueryRules/delete", "Microsoft.Insights/actionGroups/delete",
			"Microsoft.SecurityInsights/alertRules/delete", "Microsoft.SecurityInsights/dataConnectors/delete"},
		event.CategoryNetworkExposure: {"Microsoft.Network/networkSecurityGroups/securityRules/write", "Microsoft.Network/networkSecurityGroups/write",
			"Microsoft.Network/publicIPAddresses/write", "Microsoft.Network/azureFirewalls/write",
			"Microsoft.Network/firewallPolicies/ruleCollectionGroups/write", "Microsoft.Network/loadBalancers/inboundNatRules/write",
			"Microsoft.Sql/servers/firewallRules/write", "Microsoft.DBforPostgreSQL/*/firewallRules/write",
			"Microsoft.DBforMySQL/*/firewallRules/write", "Microsoft.Network/bastionHosts/write",
			"Microsoft.Compute/virtualMachines/networkInterfaces/publicIPAddresses/write", "Microsoft.Network/networkInterfaces/write"},
		event.CategoryNetworkChange: {"Microsoft.Network/*"},
		event.CategoryKeyChange: {"Microsoft.KeyVault/vaults/write", "Microsoft.KeyVault/vaults/delete", "Microsoft.KeyVault/vaults/accessPolicies/write",
			"Microsoft.KeyVault/deletedVaults/purge/action", "Microsoft.KeyVault/locations/deletedVaults/purge/action",
			"Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/secrets/write", "Microsoft.KeyVault/vaults/secrets/delete",
			"KeyDelete", "KeyPurge", "SecretDelete", "SecretPurge", "SecretSet", "VaultDelete", "VaultPurge", "KeyCreate", "CertificatePurge"},
		event.CategorySecretAccess: {"SecretGet", "SecretList", "KeyDecrypt", "KeyUnwrap", "KeySign", "CertificateGet",
			"Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.Storage/storageAccounts/regenerateKey/action",
			"Microsoft.Web/sites/config/list/action", "Microsoft.Web/sites/publishxml/action",
			"Microsoft.EventHub/namespaces/authorizationRules/listKeys/action", "Microsoft.ServiceBus/namespaces/authorizationRules/listKeys/action",
			"Microsoft.DocumentDB/databaseAccounts/listKeys/action", "Microsoft.Cache/redis/listKeys/action",
			"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
			"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
			"Microsoft.Compute/disks/beginGetAccess/action", "Microsoft.Compute/snapshots/beginGetAccess/action"},
		event.CategoryStoragePolicy: {"Microsoft.Storage/storageAccounts/write", "Microsoft.Storage/storageAccounts/blobServices/containers/write",
			"Microsoft.Storage/storageAccounts/blobServices/write", "Microsoft.Storage/storageAccounts/encryptionScopes/*",
			"Microsoft.Storage/storageAccounts/managementPolicies/*", "Microsoft.Storage/storageAccounts/immutabilityPolicies/*",
			"Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/*", "SetContainerACL", "SetBlobServiceProperties"},
		event.CategoryStorageAccess: {"GetBlob", "PutBlob", "DeleteBlob", "CopyBlob", "ListBlobs", "GetBlobProperties",
			"GetBlobMetadata", "PutBlock", "PutBlockList", "AppendBlock", "GetFile", "PutRange", "DeleteFile",
			"QueryEntities", "GetMessages", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"},
		event.CategoryResourceAction: {"Microsoft.Compute/virtualMachines/runCommand/action", "Microsoft.Compute/virtualMachines/runCommands/write",
			"Microsoft.Compute/virtualMachines/extensions/write", "Microsoft.Compute/virtualMachines/start/action",
			"Microsoft.Compute/virtualMachines/powerOff/action", "Microsoft.Compute/virtualMachines/deallocate/action",
			"Microsoft.Compute/virtualMachines/restart/action", "Microsoft.Compute/snapshots/write",
			"Microsoft.Compute/virtualMachines/capture/action"},
		event.CategoryTenantChange: {"Microsoft.Subscription/*", "Microsoft.Resources/subscriptions/*/write",
			"Microsoft.Billing/*", "Microsoft.Resources/tenants/*"},
		event.CategoryFederationChange: {"Microsoft.AzureActiveDirectory/b2cDirectories/*", "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/*"},
		event.CategoryAppCredential:    {"Microsoft.ManagedIdentity/userAssignedIdentities/write"},
	}
}

// operationIndex holds exact operations and prefixes, most specific first.
type operationIndex struct {
	exact    map[string]event.Category
	prefixes []prefixRule
}

type prefixRule struct {
	prefix, suffix string // "Microsoft.DBforMySQL/" and "/firewallRules/write" for "Microsoft.DBforMySQL/*/firewallRules/write"
	category       event.Category
}

func newOperationIndex() operationIndex {
	idx := operationIndex{exact: map[string]event.Category{}}
	for cat, ops := range operationTable() {
		for _, op := range ops {
			op = strings.ToLower(op)
			if i := strings.IndexByte(op, '*'); i >= 0 {
				idx.prefixes = append(idx.prefixes, prefixRule{prefix: op[:i], suffix: op[i+1:], category: cat})
				continue
			}
			idx.exact[op] = cat
		}
	}
	// Longer prefixes are more specific: Microsoft.Network/* must not shadow its own entries.
	sortRules(idx.prefixes)
	return idx
}

func sortRules(rules []prefixRule) {
	for i := 1; i < len(rules); i++ {
		for j := i; j > 0 && len(rules[j].prefix)+len(rules[j].suffix) > len(rules[j-1].prefix)+len(rules[j-1].suffix); j-- {
			rules[j], rules[j-1] = rules[j-1], rules[j]
		}
	}
}

func (idx operationIndex) lookup(op string) (event.Category, bool) {
	op = strings.ToLower(strings.TrimSpace(op))
	if c, ok := idx.exact[op]; ok {
		return c, true
	}
	for _, r := range idx.prefixes {
		if strings.HasPrefix(op, r.prefix) && strings.HasSuffix(op, r.suffix) && len(op) >= len(r.prefix)+len(r.suffix) {
			return r.category, true
		}
	}
	return "", false
}

// classify sets the category, class and activity.
func (p *Parser) classify(logCategory, op string, props *properties, ev *event.Event) {
	verbCat, activity := verbOf(op, props)
	cat, ok := p.operations.lookup(op)
	if cat == event.CategoryNetworkChange && verbCat == event.CategoryResourceRead {
		ok = false // reading network configuration is a read
	}
	if !ok {
		cat = verbCat
	}
	switch strings.ToLower(logCategory) {
	case "security", "alert":
		ev.SetClass(event.ClassDetectionFinding, event.ActivityCreate)
		ev.Vigil.Category = event.CategoryProviderAlert
		title := normalize.FirstNonEmpty(props.AlertName, props.Title, ev.Message, op)
		ev.FindingInfo = &event.FindingInfo{UID: ev.Metadata.UID, Title: title, Desc: ev.Message}
		if props.Intent != "" {
			ev.FindingInfo.Types = []string{props.Intent}
		}
		if s := strings.ToLower(props.Severity); s != "" {
			ev.SetSeverity(map[string]int{"high": event.SeverityHigh, "medium": event.SeverityMedium, "low": event.SeverityLow}[s])
		}
		return
	case "servicehealth", "resourcehealth", "autoscale", "recommendation":
		cat = event.CategoryPlatformHealth
	case "policy":
		if !ok {
			cat = event.CategoryPolicyGovernance
		}
	}
	ev.Vigil.Category = cat
	switch cat {
	case event.CategoryRoleAssignment:
		ev.SetClass(event.ClassUserAccessManagement, event.ActivityAssignPrivileges)
	case event.CategoryRoleRemoval:
		ev.SetClass(event.ClassUserAccessManagement, event.ActivityRevokePrivileges)
	default:
		ev.SetClass(event.ClassAPIActivity, activity)
	}
}

// verbOf reads the kind of call from the last segment of an ARM operation, or from the
// verb of a resource-log operation (GetBlob, SecretSet …).
func verbOf(op string, props *properties) (event.Category, int) {
	lower := strings.ToLower(op)
	last := lower[strings.LastIndexByte(lower, '/')+1:]
	switch {
	case last == "write":
		if strings.EqualFold(string(props.StatusCode), "Created") || string(props.StatusCode) == "201" {
			return event.CategoryResourceCreate, event.ActivityCreate
		}
		return event.CategoryResourceUpdate, event.ActivityUpdate
	case last == "delete":
		return event.CategoryResourceDelete, event.ActivityDelete
	case last == "read":
		return event.CategoryResourceRead, event.ActivityRead
	case last == "action":
		return event.CategoryResourceAction, event.ActivityOther
	case strings.HasPrefix(last, "get") || strings.HasPrefix(last, "list") || strings.HasPrefix(last, "query"):
		return event.CategoryResourceRead, event.ActivityRead
	case strings.HasPrefix(last, "delete") || strings.HasPrefix(last, "purge") || strings.HasSuffix(last, "delete"):
		return event.CategoryResourceDelete, event.ActivityDelete
	case strings.HasPrefix(last, "put") || strings.HasPrefix(last, "create") || strings.HasPrefix(last, "set") || strings.HasSuffix(last, "create"):
		return event.CategoryResourceUpdate, event.ActivityUpdate
	case op == "":
		return event.CategoryOther, event.ActivityUnknown
	}
	return event.CategoryOther, event.ActivityOther
}

// isResourceLog reports whether a diagnostic category is a resource log rather than the
// Activity Log.
func isResourceLog(category string) bool {
	switch strings.ToLower(category) {
	case "", "administrative", "security", "servicehealth", "alert", "recommendation", "policy", "autoscale",
		"resourcehealth", "action", "write", "delete":
		return false
	}
	return true
}

// Mappings documents the table and rules for docs/categories.md.
func (p *Parser) Mappings() []normalize.OperationMapping {
	var out []normalize.OperationMapping
	for cat, ops := range operationTable() {
		out = append(out, normalize.OperationMapping{Category: cat, Source: "Azure Activity Log / resource logs", Operations: ops})
	}
	return append(out,
		normalize.OperationMapping{Category: event.CategoryResourceCreate, Source: "Azure Activity Log (verb rule)", Operations: []string{"*/write answered 201 Created"}},
		normalize.OperationMapping{Category: event.CategoryResourceUpdate, Source: "Azure Activity Log (verb rule)", Operations: []string{"*/write"}},
		normalize.OperationMapping{Category: event.CategoryResourceDelete, Source: "Azure Activity Log (verb rule)", Operations: []string{"*/delete"}},
		normalize.OperationMapping{Category: event.CategoryResourceRead, Source: "Azure Activity Log (verb rule)", Operations: []string{"*/read"}},
		normalize.OperationMapping{Category: event.CategoryResourceAction, Source: "Azure Activity Log (verb rule)", Operations: []string{"*/action"}},
		normalize.OperationMapping{Category: event.CategoryProviderAlert, Source: "Azure Activity Log", Operations: []string{"category Security (Defender for Cloud alerts)", "category Alert (Azure Monitor alerts)"}},
		normalize.OperationMapping{Category: event.CategoryPlatformHealth, Source: "Azure Activity Log", Operations: []string{"category ServiceHealth", "category ResourceHealth", "category Autoscale", "category Recommendation"}},
	)
}
