package normalize

import (
	"context"
	"errors"
	"io"
)

func (n *Normalizer) stream(ctx context.Context, r io.Reader, name string, emit EmitFunc) (Stats, error) {
	return Stats{}, errors.New("normalize: stream not built yet")
}
