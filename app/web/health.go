package web

import (
	"context"
	"errors"
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
}

// healthShow answers /healthz: 200 for as long as the process serves HTTP.
func (s *Server) healthShow(c echo.Context) error {
	noStore(c)
	return c.JSON(http.StatusOK, healthStatus{Status: "ok"})
}

// readyShow answers /readyz: 200 once the database answers, its schema is
// fully migrated and the cache answers; 503 with the reason otherwise.
func (s *Server) readyShow(c echo.Context) error {
	noStore(c)
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if reason := s.notReady(ctx); reason != "" {
		return c.JSON(http.StatusServiceUnavailable, healthStatus{Status: "unavailable", Reason: reason})
	}
	return c.JSON(http.StatusOK, healthStatus{Status: "ready"})
}

// notReady returns why the server cannot serve yet, or "" when it can.
func (s *Server) notReady(ctx context.Context) string {
	if s.db == nil {
		return "no database configured"
	}
	if err := db.Ping(ctx, s.db); err != nil {
		return "database unreachable: " + err.Error()
	}
	pending, err := pendingMigrations(ctx, s.db)
	switch {
	case errors.Is(err, errNotMigrated):
		return "database is not migrated: run micboard migrate"
	case err != nil:
		return err.Error()
	case len(pending) > 0:
		return "pending migrations: " + strings.Join(pending, ", ")
	}
	if err := s.cache.Ping(ctx); err != nil {
		return "cache unreachable: " + err.Error()
	}
	return ""
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
