package cloudtrail

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// categoryTable maps CloudTrail eventNames to Vigil categories. An entry may be qualified by
// its service as "service:EventName" (service = eventSource without ".amazonaws.com") when
// the same name means different things in different services. Names not listed here fall
// back to the verb rules in verbCategory.
func categoryTable() map[event.Category][]string {
	return map[event.Category][]string{
		event.CategorySessionAssume: {"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot",
			"GetFederationToken", "GetSessionToken", "sso:GetRoleCredentials", "sso:Federate", "SwitchRole"},
		event.CategoryMFAChange: {"CreateVirtualMFADevice", "DeleteVirtualMFADevice", "EnableMFADevice",
			"DeactivateMFADevice", "ResyncMFADevice", "iam:EnableMFADevice"},
		event.CategoryMFAChallenge:      {"CheckMfa", "CredentialVerification"},
		event.CategoryPasswordChange:    {"ChangePassword", "PasswordUpdated"},
		event.CategoryPasswordReset:     {"UpdateLoginProfile", "PasswordRecoveryRequested", "PasswordRecoveryCompleted"},
		event.CategoryUserCreate:        {"iam:CreateUser", "identitystore:CreateUser", "sso-directory:CreateUser"},
		event.CategoryUserDelete:        {"iam:DeleteUser", "identitystore:DeleteUser", "sso-directory:DeleteUser"},
		event.CategoryUserUpdate:        {"iam:UpdateUser", "iam:TagUser", "iam:UntagUser", "identitystore:UpdateUser"},
		event.CategoryUserDisable:       {"sso-directory:DisableUser"},
		event.CategoryUserEnable:        {"sso-directory:EnableUser"},
		event.CategoryGroupCreate:       {"iam:CreateGroup", "identitystore:CreateGroup"},
		event.CategoryGroupDelete:       {"iam:DeleteGroup", "identitystore:DeleteGroup"},
		event.CategoryGroupUpdate:       {"iam:UpdateGroup"},
		event.CategoryGroupMemberAdd:    {"AddUserToGroup", "identitystore:CreateGroupMembership"},
		event.CategoryGroupMemberRemove: {"RemoveUserFromGroup", "identitystore:DeleteGroupMembership"},
		event.CategoryRoleAssignment: {"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy",
			"PutRolePolicy", "PutGroupPolicy", "AddRoleToInstanceProfile", "sso:CreateAccountAssignment",
			"sso:AttachManagedPolicyToPermissionSet", "sso:PutInlinePolicyToPermissionSet", "PutUserPermissionsBoundary",
			"PutRolePermissionsBoundary"},
		event.CategoryRoleRemoval: {"DetachUserPolicy", "DetachRolePolicy", "DetachGroupPolicy", "DeleteUserPolicy",
			"DeleteRolePolicy", "DeleteGroupPolicy", "RemoveRoleFromInstanceProfile", "sso:DeleteAccountAssignment",
			"DeleteUserPermissionsBoundary", "DeleteRolePermissionsBoundary"},
		event.CategoryRoleChange: {"iam:CreateRole", "iam:DeleteRole", "UpdateAssumeRolePolicy", "UpdateRole",
			"UpdateRoleDescription", "sso:CreatePermissionSet", "sso:DeletePermissionSet", "sso:UpdatePermissionSet"},
		event.CategoryCredentialCreate: {"CreateAccessKey", "CreateLoginProfile", "UploadSSHPublicKey",
			"UploadSigningCertificate", "CreateServiceSpecificCredential", "UploadServerCertificate"},
		event.CategoryCredentialDelete: {"DeleteAccessKey", "DeleteLoginProfile", "DeleteSSHPublicKey",
			"DeleteSigningCertificate", "DeleteServiceSpecificCredential"},
		event.CategoryCredentialUpdate: {"UpdateAccessKey", "UpdateSSHPublicKey", "UpdateSigningCertificate",
			"ResetServiceSpecificCredential", "UpdateServiceSpecificCredential"},
		event.CategoryPolicyIAM: {"iam:CreatePolicy", "iam:DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
			"SetDefaultPolicyVersion", "lambda:AddPermission", "lambda:AddPermission20150331v2", "sns:SetTopicAttributes",
			"sqs:SetQueueAttributes", "ecr:SetRepositoryPolicy"},
		event.CategoryPolicyGovernance: {"organizations:CreatePolicy", "organizations:AttachPolicy", "organizations:DetachPolicy",
			"organizations:DeletePolicy", "organizations:UpdatePolicy", "organizations:DisablePolicyType",
			"config:PutConfigRule", "config:DeleteConfigRule"},
		event.CategoryFederationChange: {"CreateSAMLProvider", "UpdateSAMLProvider", "DeleteSAMLProvider",
			"CreateOpenIDConnectProvider", "DeleteOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint",
			"AddClientIDToOpenIDConnectProvider", "sso:CreateInstance", "sso-directory:EnableExternalIdP"},
		event.CategoryTenantChange: {"LeaveOrganization", "organizations:RemoveAccountFromOrganization",
			"organizations:InviteAccountToOrganization", "organizations:CreateAccount", "organizations:CloseAccount",
			"CreateAccountAlias", "DeleteAccountAlias", "UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy",
			"account:PutAlternateContact", "account:DeleteAlternateContact", "EnableRegion", "DisableRegion"},
		event.CategoryLoggingChange: {"StopLogging", "StartLogging", "DeleteTrail", "UpdateTrail", "CreateTrail",
			"PutEventSelectors", "PutInsightSelectors", "DeleteEventDataStore", "StopEventDataStoreIngestion",
			"ec2:DeleteFlowLogs", "ec2:CreateFlowLogs", "logs:DeleteLogGroup", "logs:DeleteLogStream",
			"logs:PutRetentionPolicy", "logs:DeleteSubscriptionFilter", "logs:DeleteDestination",
			"route53resolver:DeleteResolverQueryLogConfig", "route53resolver:DisassociateResolverQueryLogConfig",
			"DeleteQueryLoggingConfig", "s3:PutBucketLogging", "config:StopConfigurationRecorder",
			"config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "firehose:DeleteDeliveryStream"},
		event.CategorySecurityChange: {"guardduty:DeleteDetector", "guardduty:UpdateDetector",
			"guardduty:DisassociateFromMasterAccount", "guardduty:DisassociateFromAdministratorAccount",
			"guardduty:DeleteMembers", "guardduty:StopMonitoringMembers", "guardduty:CreateIPSet", "guardduty:UpdateIPSet",
			"guardduty:CreateFilter", "guardduty:UpdateFilter", "guardduty:DeletePublishingDestination",
			"securityhub:DisableSecurityHub", "securityhub:BatchDisableStandards", "securityhub:DisableImportFindingsForProduct",
			"securityhub:DeleteMembers", "securityhub:DisassociateFromMasterAccount", "securityhub:DisassociateFromAdministratorAccount",
			"access-analyzer:DeleteAnalyzer", "macie2:DisableMacie", "macie:DisableMacie", "inspector2:Disable",
			"detective:DeleteGraph", "waf:DeleteWebACL", "wafv2:DeleteWebACL", "shield:DeleteProtection",
			"ec2:DisableEbsEncryptionByDefault", "cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions",
			"events:DeleteRule", "events:DisableRule"},
		event.CategoryNetworkExposure: {"AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules",
			"CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "AssociateAddress", "ec2:AllocateAddress",
			"CreateInternetGateway", "AttachInternetGateway",
			"rds:ModifyDBSnapshotAttribute", "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute",
			"redshift:ModifyCluster", "lightsail:OpenInstancePublicPorts", "lightsail:PutInstancePublicPorts"},
		event.CategoryNetworkChange: {"AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress",
			"CreateSecurityGroup", "DeleteSecurityGroup", "DeleteNetworkAclEntry", "CreateRoute", "ReplaceRoute",
			"DeleteRoute", "CreateVpc", "DeleteVpc", "CreateVpcPeeringConnection", "AcceptVpcPeeringConnection",
			"CreateVpnConnection", "CreateNatGateway", "DeleteNatGateway", "ModifyVpcAttribute",
			"route53:ChangeResourceRecordSets"},
		event.CategorySecretAccess: {"GetSecretValue", "BatchGetSecretValue", "ssm:GetParameter", "ssm:GetParameters",
			"ssm:GetParametersByPath", "kms:Decrypt", "kms:GenerateDataKey", "GetPasswordData"},
		event.CategoryKeyChange: {"ScheduleKeyDeletion", "CancelKeyDeletion", "DisableKey", "EnableKey", "PutKeyPolicy",
			"kms:CreateKey", "CreateGrant", "RetireGrant", "RevokeGrant", "DisableKeyRotation", "ImportKeyMaterial",
			"DeleteImportedKeyMaterial", "secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy",
			"secretsmanager:CreateSecret", "secretsmanager:UpdateSecret", "secretsmanager:PutSecretValue",
			"ssm:PutParameter", "ssm:DeleteParameter"},
		event.CategoryStoragePolicy: {"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutObjectAcl",
			"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutAccountPublicAccessBlock",
			"DeleteAccountPublicAccessBlock", "s3:PutPublicAccessBlock", "s3:DeletePublicAccessBlock",
			"PutBucketEncryption", "DeleteBucketEncryption", "PutBucketVersioning", "PutBucketLifecycle",
			"PutBucketLifecycleConfiguration", "DeleteBucketLifecycle", "PutBucketReplication", "PutBucketOwnershipControls",
			"PutObjectLockConfiguration", "PutBucketCors", "PutBucketWebsite"},
		event.CategoryStorageAccess: {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjects",
			"s3:CopyObject", "s3:HeadObject", "s3:RestoreObject", "s3:SelectObjectContent", "s3:GetObjectAcl",
			"s3:CompleteMultipartUpload", "s3:UploadPart", "s3:CreateMultipartUpload"},
		event.CategoryLogin:         {"ConsoleLogin", "UserAuthentication", "sso:Authenticate", "signin:ConsoleLogin"},
		event.CategoryLogout:        {"ConsoleLogout", "Logout", "sso:Logout", "ExitRole"},
		event.CategoryProviderAlert: {"guardduty:CreateSampleFindings", "securityhub:BatchImportFindings"},
	}
}

// categoryIndex is the lookup built from categoryTable, keyed by "service:name" and by
// bare name.
type categoryIndex map[string]event.Category

func newCategoryIndex() categoryIndex {
	idx := categoryIndex{}
	for cat, names := range categoryTable() {
		for _, n := range names {
			idx[n] = cat
		}
	}
	return idx
}

// lookup finds the category of an eventName from a service; ok is false when only the verb
// rules apply.
func (idx categoryIndex) lookup(service, name string) (event.Category, bool) {
	if c, ok := idx[service+":"+name]; ok {
		return c, true
	}
	c, ok := idx[name]
	return c, ok
}

// shortService is eventSource without its ".amazonaws.com".
func shortService(eventSource string) string {
	return strings.TrimSuffix(eventSource, ".amazonaws.com")
}

// verb rules: the leading word of an AWS API name says what kind of call it is.
var (
	readVerbs   = []string{"Get", "List", "Describe", "Head", "Lookup", "Search", "Scan", "Query", "Select", "BatchGet", "Check", "Validate", "Estimate", "Preview", "View", "Decode", "Test", "Simulate", "Verify"}
	createVerbs = []string{"Create", "Run", "Allocate", "Import", "Register", "Launch", "Upload", "Request", "Copy", "Issue", "Generate", "Provision", "Publish", "Add"}
	deleteVerbs = []string{"Delete", "Remove", "Terminate", "Deregister", "Release", "Purge", "Revoke", "Cancel", "Deprovision", "Disable", "Destroy"}
	actionVerbs = []string{"Start", "Stop", "Reboot", "Invoke", "Send", "Execute", "Assume", "Restore", "Reset", "Retry", "Accept", "Reject", "Sign", "Encrypt", "Decrypt", "Rotate", "Share", "Export", "Resume", "Pause", "Submit", "Confirm", "Respond"}
)

// verbCategory is the category and API activity of a call from its verb alone.
func verbCategory(name string) (event.Category, int) {
	switch {
	case hasVerb(name, readVerbs):
		return event.CategoryResourceRead, event.ActivityRead
	case hasVerb(name, createVerbs):
		return event.CategoryResourceCreate, event.ActivityCreate
	case hasVerb(name, deleteVerbs):
		return event.CategoryResourceDelete, event.ActivityDelete
	case hasVerb(name, actionVerbs):
		return event.CategoryResourceAction, event.ActivityOther
	case name == "":
		return event.CategoryOther, event.ActivityUnknown
	}
	return event.CategoryResourceUpdate, event.ActivityUpdate
}

// hasVerb reports whether name starts with one of verbs followed by an upper-case letter or
// the end (so "Delete" matches "DeleteTrail" but "Get" does not match "Getaway").
func hasVerb(name string, verbs []string) bool {
	for _, v := range verbs {
		if strings.HasPrefix(name, v) && (len(name) == len(v) || name[len(v)] < 'a' || name[len(v)] > 'z') {
			return true
		}
	}
	return false
}

// Mappings documents the table and the verb rules for docs/categories.md.
func (p *Parser) Mappings() []normalize.OperationMapping {
	var out []normalize.OperationMapping
	for cat, names := range categoryTable() {
		out = append(out, normalize.OperationMapping{Category: cat, Source: "CloudTrail", Operations: names})
	}
	out = append(out,
		normalize.OperationMapping{Category: event.CategoryResourceRead, Source: "CloudTrail (verb rule)", Operations: prefixed(readVerbs)},
		normalize.OperationMapping{Category: event.CategoryResourceCreate, Source: "CloudTrail (verb rule)", Operations: prefixed(createVerbs)},
		normalize.OperationMapping{Category: event.CategoryResourceDelete, Source: "CloudTrail (verb rule)", Operations: prefixed(deleteVerbs)},
		normalize.OperationMapping{Category: event.CategoryResourceAction, Source: "CloudTrail (verb rule)", Operations: prefixed(actionVerbs)},
		normalize.OperationMapping{Category: event.CategoryResourceUpdate, Source: "CloudTrail (verb rule)", Operations: []string{"any other write"}},
		normalize.OperationMapping{Category: event.CategoryLoginFailed, Source: "CloudTrail", Operations: []string{"ConsoleLogin with responseElements.ConsoleLogin Failure", "UserAuthentication / CredentialChallenge failures"}},
		normalize.OperationMapping{Category: event.CategoryProviderAlert, Source: "CloudTrail", Operations: []string{"eventType AwsCloudTrailInsight (CloudTrail Insights)"}},
		normalize.OperationMapping{Category: event.CategoryStorageAccess, Source: "CloudTrail", Operations: []string{"any eventCategory Data event on S3"}},
	)
	return out
}

func prefixed(verbs []string) []string {
	out := make([]string, len(verbs))
	for i, v := range verbs {
		out[i] = v + "*"
	}
	return out
}
