package web

import (
	"context"
	"sync"
	"time"
)

// boardCountsEvery is how stale the board's counts may be: the API's
// X-Micboard-Degraded header asks on every request, and counting walks
// every channel, so one count serves all requests of the next second.
const boardCountsEvery = time.Second

// boardCounts memoises the live board's counts (no database involved).
type boardCounts struct {
	mu       sync.Mutex
	at       time.Time
	offline  int            // receivers with a channel offline
	byStatus map[string]int // channels by status
}

func (s *Server) countBoard() *boardCounts {
	bc := &s.counts
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if now := time.Now(); now.Sub(bc.at) >= boardCountsEvery {
		offline := map[int64]bool{}
		byStatus := map[string]int{}
		for _, t := range s.board.Tiles() {
			if !t.Online {
				offline[t.ReceiverID] = true
			}
			byStatus[string(t.Status)]++
		}
		bc.at, bc.offline, bc.byStatus = now, len(offline), byStatus
	}
	return bc
}

// unhealthyConnections counts the receivers whose link is down, from the
// live board: the monitor marks a receiver offline there once it stops
// answering.
func (s *Server) unhealthyConnections(context.Context) int {
	bc := s.countBoard()
	bc.mu.Lock()
	defer bc.mu.Unlock()
	return bc.offline
}

// channelsByStatus counts the board's channels by status, for /metrics.
func (s *Server) channelsByStatus() map[string]int {
	bc := s.countBoard()
	bc.mu.Lock()
	defer bc.mu.Unlock()
	out := make(map[string]int, len(bc.byStatus))
	for k, v := range bc.byStatus {
		out[k] = v
	}
	return out
}
