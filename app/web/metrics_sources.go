package web

import (
	"context"

	"micboard/app/metrics"
	"micboard/app/model"
)

// The JSON API lives under apiPrefix; its responses name apiVersion.
const (
	apiPrefix  = "/api/"
	apiVersion = "1"
)

// metricSources are what /metrics reads at each scrape besides requests
// and service calls: the cache, the live streams, the board and the
// device connections (one query per scrape).
func (s *Server) metricSources() metrics.Sources {
	src := metrics.Sources{
		Cache: s.cache,
		Streams: func() (int, int, uint64) {
			st := s.StreamStats()
			return s.SSEClients(), st.Views, st.TileRenders
		},
		Channels: func() map[string]int {
			out := s.channelsByStatus()
			for _, st := range boardStatuses {
				if _, ok := out[string(st)]; !ok {
					out[string(st)] = 0
				}
			}
			return out
		},
		Leases: func() (int, bool) {
			if s.cluster == nil {
				return 0, false
			}
			st := s.cluster.Status()
			return st.Held, st.Current
		},
		Relay: func() (int64, int64, int64) {
			if s.relayStats == nil {
				return 0, 0, 0
			}
			st := s.relayStats()
			return st.Sent, st.Received, st.Payloads
		},
	}
	if s.store != nil {
		src.Connections = func(ctx context.Context) (map[string]int, error) {
			st, err := s.store.Connections.Stats(ctx)
			if err != nil {
				return nil, err
			}
			out := make(map[string]int, len(linkStatuses))
			for _, state := range linkStatuses {
				out[string(state)] = 0
			}
			for state, n := range st.ByStatus {
				out[string(state)] = n
			}
			return out, nil
		}
	}
	return src
}

// boardStatuses are every status a channel can have on the board. /metrics
// reports each, at 0 when no channel has it, so a dashboard or an alert
// rule finds the series on an empty board as on a full one; the device
// connections do the same with linkStatuses.
var boardStatuses = []model.Status{
	model.StatusRxOffline, model.StatusAudioPeak, model.StatusCritical, model.StatusReplace, model.StatusGood,
	model.StatusPrevGood, model.StatusPrevReplace, model.StatusPrevCritical, model.StatusTxOff, model.StatusUnassigned,
}

// SSEClients counts the open live streams of every kind: the board's and
// the admin tables' pages and the API's JSON event streams.
func (s *Server) SSEClients() int {
	return s.StreamStats().Open + s.api().events.clients()
}
