package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"micboard/app/db"
)

// healthStatus is the JSON body of /healthz and /readyz.
type healthStatus struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Leases says, with several instances, whether this one holds the
	// leases on the receivers it watches.
	Leases *leaseHealth `json:"leases,omitempty"`
}

// leaseHealth is an instance's lease state on /readyz.
type leaseHealth struct {
	Instance string `json:"instance"`
	Held     int    `json:"held"`
	Current  bool   `json:"current"`
	// RenewedSecondsAgo is how long ago the leases were last renewed
	// (-1: never).
	RenewedSecondsAgo float64 `json:"renewed_seconds_ago"`
}

// healthShow answers /healthz: 200 for as long as the process serves HTTP.
func (s *Server) healthShow(c echo.Context) error {
	noStore(c)
	return c.JSON(http.StatusOK, healthStatus{Status: "ok"})
}

// readyShow answers /readyz: 200 once the database answers and its schema
// is fully migrated; 503 with the reason otherwise. The cache is optional
// (a Redis outage only turns it off), so it does not count. The
// reason an anonymous caller reads is generic: the detail (a driver error
// names the database user, name and address) goes to the server log.
func (s *Server) readyShow(c echo.Context) error {
	noStore(c)
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	reason, detail := s.notReady(ctx)
	leases := s.leaseHealth()
	if reason == "" && leases != nil && !leases.Current {
		reason = "receiver leases not renewed: this instance cannot be sure which receivers it watches"
	}
	if reason == "" {
		return c.JSON(http.StatusOK, healthStatus{Status: "ready", Leases: leases})
	}
	if detail != "" {
		s.log.WarnContext(ctx, "not ready", "reason", reason, "detail", detail)
		if mayReadDetail(c) {
			reason += ": " + detail
		}
	}
	return c.JSON(http.StatusServiceUnavailable, healthStatus{Status: "unavailable", Reason: reason, Leases: leases})
}

// leaseHealth reports the instance's leases (nil with no cluster attached).
func (s *Server) leaseHealth() *leaseHealth {
	if s.cluster == nil {
		return nil
	}
	st := s.cluster.Status()
	h := &leaseHealth{Instance: s.cluster.ID(), Held: st.Held, Current: st.Current, RenewedSecondsAgo: -1}
	if !st.RenewedAt.IsZero() {
		h.RenewedSecondsAgo = math.Round(time.Since(st.RenewedAt).Seconds()*10) / 10
	}
	return h
}

// mayReadDetail decides whether the caller may read why the server is not
// ready in full. Nobody may yet: there are no admin accounts. When there
// are, a signed-in admin will.
func mayReadDetail(echo.Context) bool { return false }

// notReady returns why the server cannot serve yet ("" when it can), in
// words fit for anyone, and the detail behind it for the log.
func (s *Server) notReady(ctx context.Context) (reason, detail string) {
	if s.db == nil {
		return "no database configured", ""
	}
	if err := db.Ping(ctx, s.db); err != nil {
		return "database unreachable", err.Error()
	}
	pending, err := pendingMigrations(ctx, s.db)
	switch {
	case errors.Is(err, errNotMigrated):
		return "database is not migrated: run micboard migrate", ""
	case err != nil:
		return "database check failed", err.Error()
	case len(pending) > 0:
		return "database has pending migrations: run micboard migrate", strings.Join(pending, ", ")
	}
	return "", ""
}

// errNotMigrated reports a database that has never been migrated.
var errNotMigrated = errors.New("database is not migrated")

// pendingMigrations lists the migrations not yet applied; a database
// without bun's migration table has had none applied.
func pendingMigrations(ctx context.Context, bdb *bun.DB) ([]string, error) {
	pending, err := db.Pending(ctx, bdb)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return nil, errNotMigrated
	}
	return pending, err
}
