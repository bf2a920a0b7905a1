package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiBoardJSON is the whole live board.
type apiBoardJSON struct {
	// Version is the board's change counter: pass it as since (or
	// Last-Event-ID) to /api/v1/board/events to get what changed after.
	Version  uint64        `json:"version"`
	Channels []apiTileJSON `json:"channels"`
	// Unhealthy lists the receivers whose link is down, the ones the
	// X-Micboard-Degraded header counts.
	Unhealthy []apiUnhealthyJSON `json:"unhealthy_connections"`
	ByStatus  map[string]int     `json:"channels_by_status"`
}

type apiUnhealthyJSON struct {
	ReceiverID   int64  `json:"receiver_id"`
	ReceiverName string `json:"receiver_name"`
	Host         string `json:"host"`
	Vendor       string `json:"vendor"`
	Model        string `json:"model"`
}

// apiBoardShow answers GET /api/v1/board from the board in memory: every
// channel's slot, names, status, battery, RF, audio, frequency and whether
// its receiver answers, and the receivers that do not. It asks the
// database nothing.
func (s *Server) apiBoardShow(c echo.Context) error {
	version := s.board.Version()
	tiles := s.board.Tiles()
	out := apiBoardJSON{Version: version, Channels: make([]apiTileJSON, len(tiles)),
		Unhealthy: []apiUnhealthyJSON{}, ByStatus: map[string]int{}}
	down := map[int64]bool{}
	for i := range tiles {
		t := &tiles[i]
		out.Channels[i] = tileJSON(t)
		out.ByStatus[string(t.Status)]++
		if !t.Online && !down[t.ReceiverID] {
			down[t.ReceiverID] = true
			out.Unhealthy = append(out.Unhealthy, apiUnhealthyJSON{ReceiverID: t.ReceiverID,
				ReceiverName: t.ReceiverName, Host: t.Host, Vendor: t.Vendor, Model: t.Model})
		}
	}
	noStore(c)
	return c.JSON(http.StatusOK, out)
}
