package web

import (
	"context"

	"micboard/app/metrics"
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
			// The API's JSON event streams count as clients too.
			return st.Open + s.api().events.clients(), st.Views, st.TileRenders
		},
		Channels: s.channelsByStatus,
	}
	if s.store != nil {
		src.Connections = func(ctx context.Context) (map[string]int, error) {
			st, err := s.store.Connections.Stats(ctx)
			if err != nil {
				return nil, err
			}
			out := make(map[string]int, len(st.ByStatus))
			for state, n := range st.ByStatus {
				out[string(state)] = n
			}
			return out, nil
		}
	}
	return src
}
