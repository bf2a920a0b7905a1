package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// The performer's "my packs" page on a phone, and the layout it uses.
const (
	PagePerformer        = "performer"
	PagePerformerRevoked = "performer_revoked"
	layoutPhone          = "layouts/phone"
)

// performerPage is a performer's own channels, large, with their alerts.
type performerPage struct {
	Name      string
	EventsURL string
	Board     *boardPage
}

// phoneOptions draw a performer's tiles: large, with RF and audio, nothing
// to click through to.
var phoneOptions = tileOptions{ShowRF: true, ShowAudio: true, Size: model.TileLarge}

// performerAuth resolves the secret in the URL. An unknown secret is a
// plain 404 (counted by the guess limiter); a revoked one returns the link
// with service.ErrLinkRevoked.
func (s *Server) performerAuth(c echo.Context) (*model.PerformerLink, error) {
	if s.store == nil {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	l, err := service.AuthenticatePerformerLink(c.Request().Context(), s.store, c.Param("secret"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "This link is not known. Ask your A2 for the current one.")
	}
	return l, err
}

// performerView is the view limited to the channels the performer holds now.
func (s *Server) performerView(ctx context.Context, l *model.PerformerLink) (*viewFilter, error) {
	list, err := s.store.Assignments.Query().ByPerformer(l.PerformerID).Active().List(ctx)
	if err != nil {
		return nil, err
	}
	f := &viewFilter{only: map[int64]bool{}}
	for _, a := range list {
		f.only[a.ChannelID] = true
	}
	return f, nil
}

// performerBoard arranges the performer's channels and the addresses the
// page calls back.
func (s *Server) performerBoard(c echo.Context, l *model.PerformerLink) (*boardPage, error) {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	f, err := s.performerView(ctx, l)
	if err != nil {
		return nil, err
	}
	data, err := s.boardDataOf(ctx, f, phoneOptions)
	if err != nil {
		return nil, err
	}
	data.GridURL = s.echo.Reverse(RoutePerformerGrid, c.Param("secret"))
	data.Kiosk = &kioskView{Columns: 1, Size: model.TileLarge}
	return data, nil
}

// performerShow renders a performer's packs for a phone: no login, the
// secret in the URL is the credential. A revoked link says so instead.
func (s *Server) performerShow(c echo.Context) error {
	l, err := s.performerAuth(c)
	noStore(c)
	c.Response().Header().Set("Referrer-Policy", "no-referrer") // the URL is the secret
	if errors.Is(err, service.ErrLinkRevoked) {
		return s.pageLayout(c, http.StatusGone, PagePerformerRevoked, layoutPhone, View{Title: "Link revoked"})
	}
	if err != nil {
		return err
	}
	data, err := s.performerBoard(c, l)
	if err != nil {
		return err
	}
	p := performerPage{
		Name:      l.Performer.Name,
		EventsURL: s.echo.Reverse(RoutePerformerEvents, c.Param("secret")) + "?since=" + itoa(data.Version),
		Board:     data,
	}
	s.performerSeen(c, l)
	return s.pageLayout(c, http.StatusOK, PagePerformer, layoutPhone, View{Title: l.Performer.Name, Data: p})
}

// performerGrid renders the performer's channels again after a reconnect.
func (s *Server) performerGrid(c echo.Context) error {
	l, err := s.performerAuth(c)
	if errors.Is(err, service.ErrLinkRevoked) {
		return echo.NewHTTPError(http.StatusGone)
	}
	if err != nil {
		return err
	}
	data, err := s.performerBoard(c, l)
	if err != nil {
		return err
	}
	noStore(c)
	return s.partial(c, http.StatusOK, PartialBoardGrid, data)
}

// performerEvents streams the performer's channels and their alerts; it
// ends with a "revoked" event when the link is revoked meanwhile.
func (s *Server) performerEvents(c echo.Context) error {
	l, err := s.performerAuth(c)
	if errors.Is(err, service.ErrLinkRevoked) {
		return echo.NewHTTPError(http.StatusGone)
	}
	if err != nil {
		return err
	}
	f, err := s.performerView(c.Request().Context(), l)
	if err != nil {
		return err
	}
	since, _ := strconv.ParseUint(c.QueryParam("since"), 10, 64)
	secret := c.Param("secret")
	check := func(ctx context.Context) string {
		if _, err := service.AuthenticatePerformerLink(ctx, s.store, secret); errors.Is(err, service.ErrLinkRevoked) || errors.Is(err, store.ErrNotFound) {
			return "revoked"
		}
		return ""
	}
	return s.streamTiles(c, f, phoneOptions, since, check)
}

// performerSeen records when a link was last opened.
func (s *Server) performerSeen(c echo.Context, l *model.PerformerLink) {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.PerformerLinks.Seen(ctx, l.ID, s.now()); err != nil {
		s.log.Warn("performer link seen", "link", l.ID, "err", err)
	}
}
