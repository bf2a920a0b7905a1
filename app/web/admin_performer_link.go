package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminPerformerLink makes a performer's secret "my packs" link and answers
// with it, once: like a wall display's URL it is stored only as a hash, so
// it is never shown again nor written to the log. A retired performer has
// no link to make (404).
func (s *Server) adminPerformerLink(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, token, err := service.CreatePerformerLink(ctx, s.store, service.UserActor(currentUser(c)), strconv.FormatInt(id, 10))
	if err != nil {
		return err
	}
	path, err := s.reverse(RoutePerformer, token)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return s.renderPerformersWith(c, http.StatusCreated, performerForm{Active: true}, nil, func(pg *performersPage) {
		pg.NewURL, pg.NewName, pg.Notice = c.Scheme()+"://"+c.Request().Host+path, p.Name, ""
	})
}

// adminPerformerUnlink revokes every live phone link of a performer: an
// open phone page says so from its next request.
func (s *Server) adminPerformerUnlink(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	// Nothing to revoke is 404 (a second press), with nothing audited.
	if n, err := s.store.PerformerLinks.CountLive(ctx, id); err != nil {
		return err
	} else if n == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "this performer has no live phone link")
	}
	if _, _, err := service.RevokePerformerLinks(ctx, s.store, service.UserActor(currentUser(c)), strconv.FormatInt(id, 10), s.now()); err != nil {
		return err
	}
	return s.backTo(c, RouteAdminPerformers, "unlinked")
}
