package cloudtrail

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/normalize"
)

// setActor fills actor and vigil.entity from userIdentity. The entity is the person when
// one can be recognised (IAM user, an SSO / SAML role session named by an e-mail address,
// an Identity Center user), else the role, root, service or account that acted.
func setActor(ev *event.Event, id *userIdentity) {
	if id == nil {
		return
	}
	u := &ev.Actor.User
	u.Type = id.Type
	u.UID = normalize.FirstNonEmpty(id.ARN, id.PrincipalID)
	u.AccountUID = id.AccountID
	u.CredentialUID = id.AccessKeyID
	ev.Actor.InvokedBy = id.InvokedBy
	if sc := id.SessionContext; sc != nil {
		s := &event.Session{UID: id.PrincipalID}
		if sc.SessionIssuer != nil {
			s.Issuer = sc.SessionIssuer.ARN
		}
		if sc.Attributes != nil {
			s.IsMFA = normalize.Text(sc.Attributes.MFAAuthenticated).Bool()
			s.CreatedTime = parseMillis(sc.Attributes.CreationDate)
		}
		if s.Issuer != "" || s.IsMFA != nil || s.CreatedTime != 0 {
			ev.Actor.Session = s
		}
	}
	switch strings.ToLower(id.Type) {
	case "iamuser":
		u.Name = normalize.FirstNonEmpty(id.UserName, lastSegment(id.ARN), id.PrincipalID)
		u.TypeID = event.UserTypeUser
		arn := id.ARN
		if arn == "" && id.AccountID != "" && id.UserName != "" {
			// Failed console sign-ins carry no ARN; rebuild it so the person stays one entity.
			arn = "arn:aws:iam::" + id.AccountID + ":user/" + id.UserName
		}
		// Some records (VPC endpoint network activity, trimmed exports) carry only the
		// principal id: it is the user's stable id, the entity rather than none.
		if name := normalize.FirstNonEmpty(arn, id.UserName, id.PrincipalID); name != "" {
			ev.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: name}
		}
		setEmail(u, u.Name)
	case "root":
		u.Name = normalize.FirstNonEmpty(id.UserName, "root")
		u.TypeID = event.UserTypeAdmin
		arn := id.ARN
		if arn == "" && id.AccountID != "" {
			arn = "arn:aws:iam::" + id.AccountID + ":root"
		}
		if arn != "" {
			ev.Vigil.Entity = event.Entity{Type: event.EntityRoot, Name: arn}
		}
	case "assumedrole":
		assumedRole(ev, id)
	case "federateduser":
		u.Name = normalize.FirstNonEmpty(sessionName(id.ARN), id.UserName, id.PrincipalID)
		u.TypeID = event.UserTypeUser
		if setEmail(u, u.Name) {
			ev.Vigil.Entity = event.UserEntity(u.EmailAddr)
		} else {
			ev.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: normalize.FirstNonEmpty(id.ARN, u.Name)}
		}
	case "awsservice":
		u.Name = normalize.FirstNonEmpty(id.InvokedBy, id.PrincipalID)
		u.TypeID = event.UserTypeSystem
		ev.Vigil.Entity = event.Entity{Type: event.EntityService, Name: u.Name}
	case "awsaccount":
		u.Name = normalize.FirstNonEmpty(id.AccountID, id.PrincipalID)
		u.TypeID = event.UserTypeOther
		ev.Vigil.Entity = event.Entity{Type: event.EntityAccount, Name: normalize.FirstNonEmpty(id.AccountID, id.PrincipalID)}
	case "identitycenteruser":
		u.TypeID = event.UserTypeUser
		if id.OnBehalfOf != nil {
			u.UID = normalize.FirstNonEmpty(id.OnBehalfOf.UserID, u.UID)
		}
		u.Name = normalize.FirstNonEmpty(id.UserName, u.UID)
		u.CredentialUID = normalize.FirstNonEmpty(id.CredentialID, u.CredentialUID)
		personEntity(ev, u)
	default: // SAMLUser, WebIdentityUser, Unknown (SSO sign-in), or no type at all
		u.Name = normalize.FirstNonEmpty(id.UserName, sessionName(id.ARN), id.PrincipalID)
		if u.Name != "" {
			u.TypeID = event.UserTypeUser
			personEntity(ev, u)
		} else if id.InvokedBy != "" {
			ev.Vigil.Entity = event.Entity{Type: event.EntityService, Name: id.InvokedBy}
		}
	}
}

// assumedRole handles role sessions: a person's session (SSO permission sets and SAML roles
// are named after the person) makes the person the entity; automation stays the role.
func assumedRole(ev *event.Event, id *userIdentity) {
	u := &ev.Actor.User
	session := sessionName(id.ARN)
	if session == "" {
		if _, after, ok := strings.Cut(id.PrincipalID, ":"); ok {
			session = after
		}
	}
	roleARN, roleName := "", ""
	if sc := id.SessionContext; sc != nil && sc.SessionIssuer != nil {
		roleARN, roleName = sc.SessionIssuer.ARN, sc.SessionIssuer.UserName
	}
	if roleName == "" {
		roleName = roleFromSessionARN(id.ARN)
	}
	u.TypeID = event.UserTypeOther
	u.Name = normalize.FirstNonEmpty(session, roleName)
	if setEmail(u, session) {
		u.TypeID = event.UserTypeUser
		ev.Vigil.Entity = event.UserEntity(u.EmailAddr)
		return
	}
	if strings.HasPrefix(roleName, "AWSReservedSSO_") && session != "" {
		u.TypeID = event.UserTypeUser
		ev.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: strings.ToLower(session)}
		return
	}
	if roleARN == "" && id.ARN != "" && roleName != "" {
		roleARN = "arn:aws:iam::" + id.AccountID + ":role/" + roleName
	}
	ev.Vigil.Entity = event.Entity{Type: event.EntityRole, Name: normalize.FirstNonEmpty(roleARN, id.ARN, id.PrincipalID)}
}

// personEntity makes a named person the entity, by e-mail when the name is one.
func personEntity(ev *event.Event, u *event.User) {
	if setEmail(u, u.Name) {
		ev.Vigil.Entity = event.UserEntity(u.EmailAddr)
		return
	}
	ev.Vigil.Entity = event.Entity{Type: event.EntityUser, Name: strings.ToLower(u.Name)}
}

// setEmail records s as the user's address when it looks like one.
func setEmail(u *event.User, s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " /:") || !strings.Contains(s[at:], ".") {
		return false
	}
	u.EmailAddr = strings.ToLower(s)
	u.Domain = strings.ToLower(s[at+1:])
	return true
}

// sessionName is the last segment of an assumed-role or federated-user ARN:
// arn:aws:sts::123:assumed-role/Role/session → session.
func sessionName(arn string) string {
	if !strings.Contains(arn, ":assumed-role/") && !strings.Contains(arn, ":federated-user/") {
		return ""
	}
	return lastSegment(arn)
}

func roleFromSessionARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":assumed-role/")
	if !ok {
		return ""
	}
	role, _, _ := strings.Cut(rest, "/")
	return role
}

func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return ""
}
