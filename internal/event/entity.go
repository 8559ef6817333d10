package event

import "strings"

// EntityType is the kind of thing a baseline or an alert is about.
type EntityType string

// Entity types.
const (
	EntityUser             EntityType = "user"              // a person: Entra user, IAM user, federated or SSO user
	EntityServicePrincipal EntityType = "service_principal" // an Entra app / service principal / managed identity
	EntityRole             EntityType = "role"              // an AWS role (sessions of automation)
	EntityRoot             EntityType = "root"              // an AWS account root user
	EntityService          EntityType = "service"           // a provider service acting on its own
	EntityIP               EntityType = "ip"
	EntityASN              EntityType = "asn" // a network, "AS64500"
	EntityApp              EntityType = "app"
	EntityAccount          EntityType = "account" // AWS account, Azure subscription, tenant
	EntityResourceGroup    EntityType = "resource_group"
	EntityUserAgent        EntityType = "user_agent" // a client, as the source of a password spray
	EntityNone             EntityType = ""
)

// Entity names one entity. Name is canonical for its type: user principal names and e-mail
// addresses lower-cased, ARNs and ids as the provider writes them.
type Entity struct {
	Type EntityType `json:"type,omitempty"`
	Name string     `json:"name,omitempty"`
}

// Key is "type:name", a stable map and partition key.
func (e Entity) Key() string { return string(e.Type) + ":" + e.Name }

// IsZero reports whether the entity is unknown.
func (e Entity) IsZero() bool { return e.Name == "" }

// UserEntity is the entity of a person named by a UPN or e-mail address.
func UserEntity(upnOrEmail string) Entity {
	return Entity{Type: EntityUser, Name: strings.ToLower(strings.TrimSpace(upnOrEmail))}
}
