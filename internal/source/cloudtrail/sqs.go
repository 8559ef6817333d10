package cloudtrail

import (
	"context"
	"errors"

	"github.com/vigil-sec/vigil/internal/source"
)

func (s *Source) runQueue(ctx context.Context, emit source.Emit) error {
	return errors.New("cloudtrail: SQS mode not built yet")
}
