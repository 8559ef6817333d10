package pipeline

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/event"
)

// Metrics are the pipeline's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	events, newEvents, lateEvents, errors, alerts *prometheus.CounterVec
	providerLatency, storeLatency                 *prometheus.HistogramVec
	appendSeconds                                 *prometheus.HistogramVec
	lastBatch                                     *prometheus.GaugeVec
	watermarkTime                                 prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	latency := []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600}
	m := &Metrics{
		events:          prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_source_events_total", Help: "Events collected and normalized, by source (duplicates included)."}, []string{"source"}),
		newEvents:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_source_new_events_total", Help: "Events stored for the first time, by source."}, []string{"source"}),
		lateEvents:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_source_late_events_total", Help: "Events that arrived after the watermark had passed their time, by source."}, []string{"source"}),
		errors:          prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_source_errors_total", Help: "Source failures that caused a restart, by source."}, []string{"source"}),
		alerts:          prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_alerts_total", Help: "New alerts stored, by severity and rule kind."}, []string{"severity", "kind"}),
		providerLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vigil_provider_latency_seconds", Help: "From event time to the provider making the record available.", Buckets: latency}, []string{"source"}),
		storeLatency:    prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vigil_store_latency_seconds", Help: "From the provider making the record available to Vigil storing it.", Buckets: latency}, []string{"source"}),
		appendSeconds:   prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vigil_store_append_seconds", Help: "Time to store one batch.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"source"}),
		lastBatch:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_source_last_batch_timestamp_seconds", Help: "When the source's last batch was stored."}, []string{"source"}),
		watermarkTime:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_pipeline_watermark_timestamp_seconds", Help: "Event time up to which order-dependent detections have run."}),
	}
	reg.MustRegister(m.events, m.newEvents, m.lateEvents, m.errors, m.alerts, m.providerLatency, m.storeLatency, m.appendSeconds, m.lastBatch, m.watermarkTime)
	return m
}

func (m *Metrics) batch(src string, n, fresh int, events []*event.Event, stored time.Time, took time.Duration) {
	if m == nil {
		return
	}
	m.events.WithLabelValues(src).Add(float64(n))
	m.newEvents.WithLabelValues(src).Add(float64(fresh))
	m.appendSeconds.WithLabelValues(src).Observe(took.Seconds())
	m.lastBatch.WithLabelValues(src).Set(float64(stored.UnixMilli()) / 1000)
	pl, sl := m.providerLatency.WithLabelValues(src), m.storeLatency.WithLabelValues(src)
	for _, ev := range events {
		if ev.IsUnparsed() || ev.Vigil.AvailableTime == 0 {
			continue
		}
		pl.Observe(float64(ev.Vigil.AvailableTime-ev.Time) / 1000)
		sl.Observe(float64(ev.Vigil.StoredTime-ev.Vigil.AvailableTime) / 1000)
	}
}

func (m *Metrics) sourceError(src string) {
	if m != nil {
		m.errors.WithLabelValues(src).Inc()
	}
}

func (m *Metrics) late(src string) {
	if m != nil {
		m.lateEvents.WithLabelValues(src).Inc()
	}
}

func (m *Metrics) watermark(t time.Time) {
	if m != nil {
		m.watermarkTime.Set(float64(t.UnixMilli()) / 1000)
	}
}

func (m *Metrics) alert(a alert.Alert) {
	if m != nil {
		m.alerts.WithLabelValues(string(a.Severity), string(a.Rule.Kind)).Inc()
	}
}
