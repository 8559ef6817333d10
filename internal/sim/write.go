package sim

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Writer lays records out as the providers deliver them:
//
//	graph/signIns/2026-10-20/09.json            Graph pages {"value":[...]}, one per hour
//	graph/directoryAudits/2026-10-20/09.json
//	activitylog/<subscription>/2026-10-20/09.json  ARM pages {"value":[...]}
//	eventhub/<hub>/2026/10/20/09/<n>.json       Event Hubs message bodies {"records":[...]}
//	AWSLogs/<acct>/CloudTrail/<region>/2026/10/20/<acct>_CloudTrail_<region>_20261020T0905Z_<16 chars>.json.gz
//
// It buffers one hour and writes it when the stream moves on.
type Writer struct {
	dir      string
	rng      *rand.Rand
	hour     time.Time
	buf      map[string][]Record
	Records  int
	Bytes    int64
	pageSize int
}

// NewWriter writes under dir.
func NewWriter(dir string, seed uint64) *Writer {
	return &Writer{dir: dir, rng: rand.New(rand.NewPCG(seed, 7)), buf: map[string][]Record{}, pageSize: 1000}
}

// Write takes the next record of the stream.
func (w *Writer) Write(r Record) error {
	h := r.Time.UTC().Truncate(time.Hour)
	if !h.Equal(w.hour) {
		if err := w.Flush(); err != nil {
			return err
		}
		w.hour = h
	}
	key := string(r.Kind) + "|" + r.Scope + "|" + r.Region
	if r.Kind == KindCloudTrail {
		key += "|" + r.Time.UTC().Truncate(5*time.Minute).Format("1504")
	}
	w.buf[key] = append(w.buf[key], r)
	w.Records++
	return nil
}

// Flush writes the buffered hour.
func (w *Writer) Flush() error {
	keys := make([]string, 0, len(w.buf))
	for k := range w.buf {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := w.writeGroup(w.buf[k]); err != nil {
			return err
		}
	}
	clear(w.buf)
	return nil
}

func (w *Writer) writeGroup(recs []Record) error {
	r0 := recs[0]
	t := r0.Time.UTC()
	day, hour := t.Format("2006-01-02"), t.Format("15")
	switch r0.Kind {
	case KindGraphSignIn, KindGraphAudit, KindGraphRisk:
		api := map[Kind]string{KindGraphSignIn: "signIns", KindGraphAudit: "directoryAudits", KindGraphRisk: "riskDetections"}[r0.Kind]
		ns := "auditLogs"
		if r0.Kind == KindGraphRisk {
			ns = "identityProtection"
		}
		return w.pages(filepath.Join(w.dir, "graph", api, day), hour, recs, "https://graph.microsoft.com/v1.0/$metadata#"+ns+"/"+api, "@odata.nextLink")
	case KindActivityLog:
		return w.pages(filepath.Join(w.dir, "activitylog", r0.Scope, day), hour, recs, "", "nextLink")
	case KindEventHub:
		dir := filepath.Join(w.dir, "eventhub", r0.Scope, t.Format("2006/01/02/15"))
		for i := 0; i < len(recs); i += 100 {
			if err := w.file(filepath.Join(dir, fmt.Sprintf("%03d.json", i/100)), "records", recs[i:min(i+100, len(recs))], nil, false); err != nil {
				return err
			}
		}
		return nil
	case KindCloudTrail:
		win := t.Truncate(5 * time.Minute)
		name := fmt.Sprintf("%s_CloudTrail_%s_%sZ_%s.json.gz", r0.Scope, r0.Region, win.Format("20060102T1504"), randString(w.rng, 16))
		return w.file(filepath.Join(w.dir, "AWSLogs", r0.Scope, "CloudTrail", r0.Region, t.Format("2006/01/02"), name), "Records", recs, nil, true)
	}
	return fmt.Errorf("sim: unknown record kind %q", r0.Kind)
}

// pages writes Graph / ARM pages, linking each to the next as the APIs do.
func (w *Writer) pages(dir, base string, recs []Record, context, linkKey string) error {
	n := (len(recs) + w.pageSize - 1) / w.pageSize
	for p := 0; p < n; p++ {
		extra := map[string]any{}
		if context != "" {
			extra["@odata.context"] = context
		}
		if p+1 < n {
			extra[linkKey] = fmt.Sprintf("https://example.invalid/next?page=%s-%d", base, p+1)
		}
		name := base + ".json"
		if p > 0 {
			name = fmt.Sprintf("%s-page%d.json", base, p+1)
		}
		if err := w.file(filepath.Join(dir, name), "value", recs[p*w.pageSize:min((p+1)*w.pageSize, len(recs))], extra, false); err != nil {
			return err
		}
	}
	return nil
}

// file writes {"<wrapper>": [records...], extra...}, gzipped when asked.
func (w *Writer) file(path, wrapper string, recs []Record, extra map[string]any, gz bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	// Never overwrite: a second batch for the same hour becomes the next page.
	for n := 2; ; n++ {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			break
		}
		ext := ".json"
		if gz {
			ext = ".json.gz"
		}
		path = strings.TrimSuffix(strings.TrimSuffix(path, ext), fmt.Sprintf("-%d", n-1)) + fmt.Sprintf("-%d", n) + ext
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	defer f.Close()
	var out interface {
		Write([]byte) (int, error)
	} = f
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(f)
		out = zw
	}
	bw := bufio.NewWriter(out)
	bw.WriteString("{")
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(extra[k])
		bw.Write(kb)
		bw.WriteString(":")
		bw.Write(vb)
		bw.WriteString(",")
	}
	kb, _ := json.Marshal(wrapper)
	bw.Write(kb)
	bw.WriteString(":[")
	for i, r := range recs {
		if i > 0 {
			bw.WriteString(",\n")
		}
		bw.Write(r.JSON)
	}
	bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sim: write %s: %w", path, err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return fmt.Errorf("sim: write %s: %w", path, err)
		}
	}
	if st, err := f.Stat(); err == nil {
		w.Bytes += st.Size()
	}
	return nil
}

// Manifest describes a simulated folder for the scoreboard.
type Manifest struct {
	Seed      uint64    `json:"seed"`
	Users     int       `json:"users"`
	Days      int       `json:"days"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Records   int       `json:"records"`
	Scenarios []string  `json:"scenarios"`
}

// WriteTruth writes truth.jsonl and manifest.json.
func WriteTruth(dir string, truth []Truth, m Manifest) error {
	f, err := os.Create(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, t := range truth {
		if err := enc.Encode(t); err != nil {
			return fmt.Errorf("sim: truth: %w", err)
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644)
}
