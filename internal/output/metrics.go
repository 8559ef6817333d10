package output

import "github.com/prometheus/client_golang/prometheus"

// Collector reports the queues' state to Prometheus at each scrape, labelled by output:
// depth, delivery lag (age of the oldest waiting alert), and delivered, dead-lettered
// and failed-attempt counts.
type Collector struct {
	queues                                      []*Queue
	depth, lag, delivered, deadLettered, failed *prometheus.Desc
}

// NewCollector returns the collector of queues; register it with the daemon's registry.
func NewCollector(queues ...*Queue) *Collector {
	l := []string{"output"}
	return &Collector{queues: queues,
		depth:        prometheus.NewDesc("vigil_output_queue_depth", "Alerts waiting for delivery.", l, nil),
		lag:          prometheus.NewDesc("vigil_output_delivery_lag_seconds", "How long the oldest waiting alert has waited (0 when none waits).", l, nil),
		delivered:    prometheus.NewDesc("vigil_output_delivered_total", "Alerts delivered since start.", l, nil),
		deadLettered: prometheus.NewDesc("vigil_output_dead_lettered_total", "Alerts moved to the dead-letter list since start.", l, nil),
		failed:       prometheus.NewDesc("vigil_output_delivery_failures_total", "Failed delivery attempts since start.", l, nil),
	}
}

// Describe sends the descriptions.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.depth, c.lag, c.delivered, c.deadLettered, c.failed} {
		ch <- d
	}
}

// Collect reads each queue's Stats.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.queues {
		s := q.Stats()
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(s.Depth), s.Name)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, s.OldestAge.Seconds(), s.Name)
		ch <- prometheus.MustNewConstMetric(c.delivered, prometheus.CounterValue, float64(s.Delivered), s.Name)
		ch <- prometheus.MustNewConstMetric(c.deadLettered, prometheus.CounterValue, float64(s.DeadLettered), s.Name)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(s.Failures), s.Name)
	}
}

var _ prometheus.Collector = (*Collector)(nil)
