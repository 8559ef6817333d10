package rawjson

import (
	"crypto/sha256"
	"encoding/hex"
)

// ContentUID is the id of a record that has no provider id: a hash of its bytes, so the
// same record read twice gets the same id.
func ContentUID(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:16])
}
