package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"micboard/app/cache"
)

// Sources are the gauges the collector reads at each scrape. Each is
// optional; they are functions so this package needs nothing of the board,
// the store or the web server.
type Sources struct {
	Cache *cache.Cache
	// Streams reports the open live streams (SSE), the distinct views they
	// watch, and the tile bodies drawn since start.
	Streams func() (open, views int, tileRenders uint64)
	// Channels counts the board's channels by status.
	Channels func() map[string]int
	// Connections counts device connections by state; it may query the
	// database (once per scrape, under scrapeTimeout).
	Connections func(ctx context.Context) (map[string]int, error)
	// Leases reports the receiver leases this instance holds and whether
	// their last renewal is current; Relay what it relayed to and from the
	// other instances (channel updates and notifications sent).
	Leases func() (held int, current bool)
	Relay  func() (sent, received, payloads int64)
}

// scrapeTimeout bounds a source that reads the database during a scrape.
const scrapeTimeout = 2 * time.Second

var (
	descCacheHits    = prometheus.NewDesc("micboard_cache_hits_total", "Cache reads answered from the cache, by key group.", []string{"group"}, nil)
	descCacheMisses  = prometheus.NewDesc("micboard_cache_misses_total", "Cache reads that went to the source, by key group.", []string{"group"}, nil)
	descCacheUp      = prometheus.NewDesc("micboard_cache_available", "1 while the cache is in use, 0 while its store (Redis) does not answer.", nil, nil)
	descCacheOutages = prometheus.NewDesc("micboard_cache_outages_total", "Times the cache's store stopped answering.", nil, nil)
	descSSEClients   = prometheus.NewDesc("micboard_sse_clients", "Open live board streams (server-sent events).", nil, nil)
	descSSEViews     = prometheus.NewDesc("micboard_sse_views", "Distinct board views the open streams watch.", nil, nil)
	descTileRenders  = prometheus.NewDesc("micboard_tile_renders_total", "Tile bodies drawn for live streams.", nil, nil)
	descChannels     = prometheus.NewDesc("micboard_board_channels", "Channels on the live board, by status.", []string{"status"}, nil)
	descConnections  = prometheus.NewDesc("micboard_device_connections", "Device connections, by state.", []string{"state"}, nil)
	descLeasesHeld   = prometheus.NewDesc("micboard_receiver_leases_held", "Receivers this instance holds the lease on and watches.", nil, nil)
	descLeasesOK     = prometheus.NewDesc("micboard_receiver_leases_current", "1 while this instance's last lease renewal is younger than a lease, 0 otherwise.", nil, nil)
	descRelaySent    = prometheus.NewDesc("micboard_cluster_updates_sent_total", "Channel updates sent to the other instances.", nil, nil)
	descRelayRecv    = prometheus.NewDesc("micboard_cluster_updates_received_total", "Channel updates received from the other instances.", nil, nil)
	descRelayNotes   = prometheus.NewDesc("micboard_cluster_notifications_sent_total", "NOTIFY payloads sent with board changes.", nil, nil)
)

// Watch registers the gauges of s; call it once.
func (c *Collector) Watch(s Sources) error {
	return c.reg.Register(sourceCollector(s))
}

type sourceCollector Sources

func (s sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCacheHits, descCacheMisses, descCacheUp, descCacheOutages,
		descSSEClients, descSSEViews, descTileRenders, descChannels, descConnections,
		descLeasesHeld, descLeasesOK, descRelaySent, descRelayRecv, descRelayNotes} {
		ch <- d
	}
}

func (s sourceCollector) Collect(ch chan<- prometheus.Metric) {
	if s.Cache != nil {
		for _, g := range s.Cache.Stats() {
			ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(g.Hits), g.Group)
			ch <- prometheus.MustNewConstMetric(descCacheMisses, prometheus.CounterValue, float64(g.Misses), g.Group)
		}
		up := 0.0
		if s.Cache.Available() {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descCacheUp, prometheus.GaugeValue, up)
		ch <- prometheus.MustNewConstMetric(descCacheOutages, prometheus.CounterValue, float64(s.Cache.Outages()))
	}
	if s.Streams != nil {
		open, views, renders := s.Streams()
		ch <- prometheus.MustNewConstMetric(descSSEClients, prometheus.GaugeValue, float64(open))
		ch <- prometheus.MustNewConstMetric(descSSEViews, prometheus.GaugeValue, float64(views))
		ch <- prometheus.MustNewConstMetric(descTileRenders, prometheus.CounterValue, float64(renders))
	}
	if s.Channels != nil {
		for status, n := range s.Channels() {
			ch <- prometheus.MustNewConstMetric(descChannels, prometheus.GaugeValue, float64(n), status)
		}
	}
	if s.Leases != nil {
		held, current := s.Leases()
		ok := 0.0
		if current {
			ok = 1
		}
		ch <- prometheus.MustNewConstMetric(descLeasesHeld, prometheus.GaugeValue, float64(held))
		ch <- prometheus.MustNewConstMetric(descLeasesOK, prometheus.GaugeValue, ok)
	}
	if s.Relay != nil {
		sent, recv, notes := s.Relay()
		ch <- prometheus.MustNewConstMetric(descRelaySent, prometheus.CounterValue, float64(sent))
		ch <- prometheus.MustNewConstMetric(descRelayRecv, prometheus.CounterValue, float64(recv))
		ch <- prometheus.MustNewConstMetric(descRelayNotes, prometheus.CounterValue, float64(notes))
	}
	if s.Connections != nil {
		ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
		defer cancel()
		byState, err := s.Connections(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(descConnections, err)
			return
		}
		for state, n := range byState {
			ch <- prometheus.MustNewConstMetric(descConnections, prometheus.GaugeValue, float64(n), state)
		}
	}
}

// Handler serves every metric in the Prometheus text format.
func (c *Collector) Handler() http.Handler {
	return promhttp.HandlerFor(c.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func statusLabel(status int) string { return strconv.Itoa(status) }
