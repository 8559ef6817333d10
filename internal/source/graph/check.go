package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-sec/vigil/internal/source/azure"
)

// Endpoints are the token authority and the Graph host.
func (s *Source) Endpoints() []string {
	return []string{s.cfg.LoginURL() + s.cfg.TenantID + "/oauth2/v2.0/token", s.graph}
}

// Permissions are the Graph application permissions the configured streams need.
// Directory.Read.All is listed with sign-ins because Graph's signIn list names it
// beside AuditLog.Read.All.
func (s *Source) Permissions() []string {
	var out []string
	for _, sp := range s.cfg.streamsOf() {
		out = append(out, sp.permission)
		if sp.eventType != "" || sp.name == "signins" {
			out = append(out, "Directory.Read.All")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Check gets a token and lists one record of every stream; a 403 names the permission
// (or licence) the stream lacks.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.client.Tokens.Token(ctx); err != nil {
		return fmt.Errorf("graph: %w", err)
	}
	now := s.poller.Now()
	var errs []error
	for _, sp := range s.cfg.streamsOf() {
		_, err := s.client.GetPage(ctx, sp.firstURL(s.graph, 1, now.Add(-time.Hour), now))
		if err == nil {
			continue
		}
		if he, ok := azure.IsForbidden(err); ok {
			hint := "grant the application permission " + sp.permission + " and admin consent"
			if he.Code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant" {
				hint = "the tenant needs an Entra ID P1 or P2 licence for sign-in logs"
			}
			err = fmt.Errorf("%s (%w)", hint, err)
		}
		errs = append(errs, fmt.Errorf("graph: %s: %w", sp.name, err))
	}
	return errors.Join(errs...)
}
