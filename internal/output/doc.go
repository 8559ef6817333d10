// Package output delivers alerts to the places analysts work: it holds the durable
// delivery queue every output sits behind and the per-output filter and time offset.
// Each child package (cef, webhook) is one kind of receiver, a Sender the queue calls.
//
// An alert handed to a Queue is written to the store before Send returns, one state key
// per alert id and version, and is deleted only after the receiver accepted it: an output
// that is down for an hour receives everything, in order, when it comes back, and a
// restart from the same store picks up where the last process stopped. An alert the
// receiver rejects with a permanent error (Permanent) is retried on its own, without its
// batch, and after QueueOptions.MaxAttempts such failures it is moved to a dead-letter
// list with its error, so it does not block the alerts behind it.
package output
