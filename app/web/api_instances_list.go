package web

import (
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// apiInstanceJSON is one instance sharing the database.
type apiInstanceJSON struct {
	ID            string    `json:"id"`
	Host          string    `json:"host"`
	Addr          string    `json:"addr"`
	Version       string    `json:"version"`
	SchemaVersion string    `json:"schema_version"`
	StartedAt     time.Time `json:"started_at"`
	HeartbeatAt   time.Time `json:"heartbeat_at"`
	// HeartbeatAgeSeconds is measured on the database's clock, so it holds
	// whatever the instances' clocks say.
	HeartbeatAgeSeconds float64 `json:"heartbeat_age_seconds"`
	// State is live, stopping (handing its receivers over) or gone
	// (silent for longer than the lease time).
	State string `json:"state"`
	// Receivers counts the receivers it holds an unexpired lease on.
	Receivers  int  `json:"receivers"`
	SSEClients int  `json:"sse_clients"`
	Current    bool `json:"current"`
}

// apiInstancesList answers GET /api/v1/instances: every instance on the
// database, newest heartbeat first, with its state and what it carries.
func (s *Server) apiInstancesList(c echo.Context) error {
	v, err := s.instances(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiInstanceJSON, len(v.Rows))
	for i, r := range v.Rows {
		out[i] = apiInstanceJSON{
			ID: r.ID, Host: r.Host, Addr: r.Addr, Version: r.Version, SchemaVersion: r.SchemaVersion,
			StartedAt: r.StartedAt, HeartbeatAt: r.HeartbeatAt,
			HeartbeatAgeSeconds: math.Round(r.HeartbeatAge.Seconds()*10) / 10,
			State:               r.State, Receivers: r.Leases, SSEClients: r.SSEClients, Current: r.Current,
		}
	}
	return c.JSON(http.StatusOK, listOf(out, ""))
}
