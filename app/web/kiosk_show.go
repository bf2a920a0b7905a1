package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/web/htmx"
)

// kioskView is what the kiosk layout needs besides the board.
type kioskView struct {
	Name         string
	Columns      int
	Size         model.TileSize
	HeartbeatURL string // carries Version
	HeartbeatSec int
	// Version is the version of the settings the wall is drawn with
	// (kioskVersion); its heartbeat sends it back.
	Version string
	Revoked bool
	// Fit marks a wall that static/js/kiosk_fit.js fits to its screen (a
	// phone's packs are a plain column). MinName is the smallest name a
	// fitted wall draws, as a share of the screen height; below it the
	// wall pages. PageSeconds turns the pages (the display's own setting).
	Fit         bool
	MinName     string
	PageSeconds int
}

// kioskMinName is the name's smallest height per tile size, as a share of
// the screen height: 4 % reads from five metres on a 55" screen.
func kioskMinName(size model.TileSize) string {
	switch size {
	case model.TileLarge:
		return "0.055"
	case model.TileMedium:
		return "0.045"
	}
	return "0.04"
}

// kioskAuth resolves the token in the URL. An unknown token is a plain
// 404; a revoked one returns the display with service.ErrKioskRevoked.
func (s *Server) kioskAuth(c echo.Context) (*model.Kiosk, error) {
	if s.kiosks == nil {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	k, err := s.authenticateKiosk(c.Request().Context(), c.Param("token"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "This display address is not known. Ask an admin for the current one.")
	}
	return k, err
}

// kioskQuery reads a display's stored view.
func kioskQuery(k *model.Kiosk) (boardQuery, error) {
	v, err := url.ParseQuery(k.ViewQuery)
	if err != nil {
		return boardQuery{}, badQuery{"the display's view is not a valid query"}
	}
	return parseBoardQuery(v)
}

func kioskOptions(k *model.Kiosk) tileOptions {
	return tileOptions{ShowRF: k.ShowRF, ShowAudio: k.ShowAudio, Size: k.TileSize}
}

// kioskShow renders a wall display: the board of its view, full screen, no
// chrome, no login. A revoked display says so instead.
func (s *Server) kioskShow(c echo.Context) error {
	k, err := s.kioskAuth(c)
	if errors.Is(err, service.ErrKioskRevoked) {
		noStore(c)
		return s.pageLayout(c, http.StatusGone, PageKioskRevoked, layoutKiosk, View{Title: "Display revoked", Data: kioskView{Name: k.Name, Revoked: true}})
	}
	if err != nil {
		return err
	}
	data, err := s.kioskBoard(c, k)
	if err != nil {
		return err
	}
	data.EventsURL = s.echo.Reverse(RouteKioskEvents, c.Param("token")) + "?since=" + itoa(data.Version)
	s.recordHeartbeat(c, k)
	noStore(c)
	c.Response().Header().Set("Referrer-Policy", "no-referrer") // the URL is the secret
	return s.pageLayout(c, http.StatusOK, PageKiosk, layoutKiosk, View{Title: k.Name, Data: data})
}

// kioskGrid renders the display's grid again after a reconnect.
func (s *Server) kioskGrid(c echo.Context) error {
	k, err := s.kioskAuth(c)
	if err != nil {
		return err
	}
	data, err := s.kioskBoard(c, k)
	if err != nil {
		return err
	}
	noStore(c)
	return s.partial(c, http.StatusOK, PartialBoardGrid, data)
}

// kioskBoard arranges a display's board: its stored view, its options, and
// the addresses its page calls back.
func (s *Server) kioskBoard(c echo.Context, k *model.Kiosk) (*boardPage, error) {
	q, err := kioskQuery(k)
	if err != nil {
		return nil, err
	}
	data, err := s.boardData(c.Request().Context(), q, kioskOptions(k))
	if err != nil {
		return nil, err
	}
	token := c.Param("token")
	version := kioskVersion(k)
	data.GridURL = s.echo.Reverse(RouteKioskGrid, token)
	data.Kiosk = &kioskView{
		Name: k.Name, Columns: k.Columns, Size: k.TileSize, HeartbeatSec: k.HeartbeatSeconds,
		HeartbeatURL: s.echo.Reverse(RouteKioskHeartbeat, token) + "?" + url.Values{kioskVersionParam: {version}}.Encode(),
		Version:      version,
		Fit:          true, MinName: kioskMinName(k.TileSize), PageSeconds: k.PageSeconds,
	}
	return data, nil
}

// kioskEvents streams the display's tiles; it ends with a "revoked" event
// when an admin revokes the display meanwhile.
func (s *Server) kioskEvents(c echo.Context) error {
	k, err := s.kioskAuth(c)
	if err != nil {
		return err
	}
	q, err := kioskQuery(k)
	if err != nil {
		return err
	}
	f, err := s.resolveView(c.Request().Context(), q)
	if err != nil {
		return err
	}
	since, _ := strconv.ParseUint(c.QueryParam("since"), 10, 64)
	token := c.Param("token")
	check := func(ctx context.Context) string {
		if _, err := s.kiosks.Authenticate(ctx, token); errors.Is(err, service.ErrKioskRevoked) || errors.Is(err, store.ErrNotFound) {
			return "revoked"
		}
		return ""
	}
	return s.streamTiles(c, f, kioskOptions(k), since, check)
}

// kioskHeartbeat records that a display is alive; 410 tells a revoked one
// to reload into its "revoked" page. A wall drawn with other settings than
// the stored ones (an admin saved the display since) is told to reload
// with HX-Refresh, which htmx does by itself: the same URL, the new view.
func (s *Server) kioskHeartbeat(c echo.Context) error {
	k, err := s.kioskAuth(c)
	if errors.Is(err, service.ErrKioskRevoked) {
		return c.NoContent(http.StatusGone)
	}
	if err != nil {
		return err
	}
	s.recordHeartbeat(c, k)
	// A page without a version (drawn before walls sent one) is left be.
	if v := c.QueryParam(kioskVersionParam); v != "" && v != kioskVersion(k) {
		if err := (htmx.Response{Refresh: true}).Apply(c); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// kioskVersionParam names the heartbeat's settings version in its URL.
const kioskVersionParam = "v"

// kioskVersion is the version of a display's settings: the microsecond of
// its last change (updated_at, moved on by every save and never by a
// heartbeat), compared for equality only.
func kioskVersion(k *model.Kiosk) string { return strconv.FormatInt(k.UpdatedAt.UnixMicro(), 10) }

func (s *Server) recordHeartbeat(c echo.Context, k *model.Kiosk) {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.kiosks.Heartbeat(ctx, k.ID, c.RealIP(), c.Request().UserAgent()); err != nil {
		s.log.Warn("kiosk heartbeat", "kiosk", k.ID, "err", err)
	}
}
