package activitylog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/source/azure"
)

const readPermission = "Microsoft.Insights/eventtypes/values/read"

// Endpoints are the token authority and the Resource Manager host.
func (s *Source) Endpoints() []string {
	return []string{s.cfg.LoginURL() + s.cfg.TenantID + "/oauth2/v2.0/token", s.arm}
}

// Permissions are the Azure RBAC actions the source needs; the built-in Reader and
// Monitoring Reader roles hold both.
func (s *Source) Permissions() []string {
	if len(s.cfg.Subscriptions) > 0 {
		return []string{readPermission}
	}
	return []string{readPermission, "Microsoft.Resources/subscriptions/read"}
}

// Check gets a token, finds the subscriptions, and reads the last hour of each one's
// Activity Log; a 403 names the permission that subscription lacks.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.client.Tokens.Token(ctx); err != nil {
		return fmt.Errorf("activitylog: %w", err)
	}
	streams, err := s.streams(ctx)
	if err != nil {
		return err
	}
	now := s.poller.Now()
	var errs []error
	for _, st := range streams {
		_, err := s.client.GetPage(ctx, st.URL(now.Add(-time.Hour), now))
		if err == nil {
			continue
		}
		if _, ok := azure.IsForbidden(err); ok {
			err = fmt.Errorf("the credential lacks %s here: assign it Reader or Monitoring Reader (%w)", readPermission, err)
		}
		errs = append(errs, fmt.Errorf("activitylog: %s: %w", st.Name, err))
	}
	return errors.Join(errs...)
}
