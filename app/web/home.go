package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/cache"
)

// homeView is the data of the home page: until devices are added it shows
// what the board will look like and whether the system is ready.
type homeView struct {
	Legend  []statusSwatch
	Preview []tilePreview
	System  []systemFact
}

// statusSwatch is one entry of the status legend (PROTOCOLS.md §3).
type statusSwatch struct {
	Label   string
	Meaning string
	Class   string // Tailwind classes of the swatch
}

// tilePreview is a sample channel tile; the real tiles arrive with the
// devices.
type tilePreview struct {
	Slot    string
	Name    string
	Status  string
	Class   string // tile colours
	Bars    []bool // five battery bars, lit or not
	RF      int    // percent
	Audio   int    // percent
	Runtime string
}

// systemFact is one line of the system panel.
type systemFact struct {
	Label string
	Value string
	OK    bool
}

// statusLegend lists the channel statuses in the order the board ranks them.
var statusLegend = []statusSwatch{
	{"Good", "4–5 battery bars", "bg-good"},
	{"Replace", "3 bars: swap at the next break", "bg-replace"},
	{"Critical", "0–2 bars: swap now", "bg-critical"},
	{"Last heard", "transmitter silent < 30 min, last level shown", "bg-prev bg-stripes"},
	{"TX off", "no transmitter for 30 min", "bg-txoff ring-1 ring-inset ring-white/10"},
	{"RX offline", "the receiver does not answer", "bg-offline"},
	{"Audio peak", "clipped in the last 10 s", "bg-stage-800 outline outline-2 outline-offset-2 outline-critical animate-peak"},
}

// samplePreview shows one tile of each status with sample performers.
var samplePreview = []tilePreview{
	{"HH01", "Fatai", "Good", "bg-good text-stage-950", bars(5), 86, 62, "7h 40m"},
	{"HH02", "Mirela", "Good", "bg-good text-stage-950 outline outline-[3px] outline-offset-2 outline-critical animate-peak", bars(4), 78, 94, "5h 10m"},
	{"BP03", "Ana Lucía", "Replace", "bg-replace text-stage-950", bars(3), 71, 35, "2h 05m"},
	{"BP04", "Jun", "Critical", "bg-critical text-white", bars(1), 64, 48, "0h 25m"},
	{"BP05", "Tobias", "Last heard", "bg-prev bg-stripes text-white", bars(4), 0, 0, "—"},
	{"IEM1", "Drums", "RX offline", "bg-offline text-white", bars(0), 0, 0, "—"},
	{"BP09", "Spare", "TX off", "bg-txoff text-stage-400 ring-1 ring-inset ring-white/10", bars(0), 0, 0, "—"},
}

func bars(n int) []bool {
	b := make([]bool, 5)
	for i := range n {
		b[i] = true
	}
	return b
}

// homeShow renders the home page.
func (s *Server) homeShow(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	return s.page(c, http.StatusOK, PageHome, View{Data: homeView{
		Legend:  statusLegend,
		Preview: samplePreview,
		System:  s.systemFacts(ctx),
	}})
}

// systemFacts reports the database, cache and access settings.
func (s *Server) systemFacts(ctx context.Context) []systemFact {
	dbFact := systemFact{Label: "Database", Value: "not configured"}
	if s.db != nil {
		switch pending, err := pendingMigrations(ctx, s.db); {
		case errors.Is(err, errNotMigrated):
			dbFact.Value = "connected · not migrated"
		case err != nil:
			dbFact.Value = "unreachable"
		case len(pending) > 0:
			dbFact.Value = fmt.Sprintf("connected · %d migration(s) pending", len(pending))
		default:
			dbFact = systemFact{Label: "Database", Value: "connected · schema up to date", OK: true}
		}
	}
	cacheFact := systemFact{Label: "Cache", Value: "in-memory", OK: true}
	if s.cache.Kind() == cache.KindRedis {
		cacheFact.Value = "Redis (shared)"
		if err := s.cache.Ping(ctx); err != nil {
			cacheFact = systemFact{Label: "Cache", Value: "Redis unreachable"}
		}
	}
	access := systemFact{Label: "Board access", Value: "sign-in required", OK: true}
	if s.cfg.PublicBoard {
		access.Value = "public (read-only)"
	}
	return []systemFact{dbFact, cacheFact, access, {Label: "Meter rate", Value: s.cfg.MeterRate.String(), OK: true}}
}
