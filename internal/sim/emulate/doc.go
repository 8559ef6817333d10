// Package emulate serves the simulated organisation's records live over the real Microsoft
// wire formats: the identity platform's client-credentials token flow, Microsoft Graph
// (sign-ins, directory audits, risk detections, security alerts) and the ARM Activity Log,
// all on one loopback TLS listener, with seeded per-record availability delays,
// duplicates, throttling budgets and switchable faults.
//
// It exists so the Graph and Activity Log collectors, and `vigil demo`, run against the
// protocol a tenant speaks (OData paging and filters, Retry-After, AADSTS errors) rather
// than against files. What it emulates, and where each number comes from, is written down
// in docs/emulators.md.
package emulate
