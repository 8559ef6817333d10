package cloudtrail

import "testing"

// FuzzNotifiedObjects: any message body gives objects or an error, never a panic.
func FuzzNotifiedObjects(f *testing.F) {
	f.Add([]byte(s3Event("b", "AWSLogs/1/CloudTrail/us-east-1/2026/10/31/x.json.gz")))
	f.Add([]byte(snsEnvelope(snsEnvelope(s3Event("b", "k")))))
	f.Add([]byte(trailNotification("b", "k")))
	f.Add([]byte(`{"Type":"Notification","Message":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		objs, err := notifiedObjects(body)
		if err != nil && objs != nil {
			t.Fatalf("objects %v with error %v", objs, err)
		}
	})
}

// FuzzWriteOnly: any document gives kept records (each whole JSON) or an error, never a
// panic; a kept record is never marked read-only.
func FuzzWriteOnly(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventID":"a","readOnly":true},{"eventID":"b","readOnly":false}]}`))
	f.Add([]byte(`{"x":1,"Records":[{"eventID":"a"},{"eventID":"b","readOnly":tr`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		kept, _, _ := writeOnly(doc)
		for _, r := range kept {
			if ro, ok := readOnlyOf(r); ok && ro {
				t.Fatalf("read-only record kept: %s", r)
			}
		}
	})
}
