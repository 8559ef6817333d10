// Package webhook posts alerts as JSON to an HTTP endpoint, signed with HMAC-SHA256 over
// a timestamp and the body so the receiver can check where a request came from and refuse
// a replayed one; it can also format them as Slack or Microsoft Teams messages.
//
// A json webhook receives one POST per batch: {"sent_at": …, "alerts": [alert, …]}, each
// alert as Vigil stores it (id, version, title, score, entity, evidence ids, reason, ATT&CK
// techniques, details). Slack and Teams receive one message per alert. The headers are
// X-Vigil-Timestamp (Unix seconds) and X-Vigil-Signature: sha256=<hex of
// HMAC-SHA256(secret, timestamp + "." + body)>; Verify checks both.
package webhook
