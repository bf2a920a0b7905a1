package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/alert"
	"micboard/app/service"
	"micboard/app/web/htmx"
)

// alertAcknowledge records that an operator took an open alert in hand,
// through the engine (which audits it and tells every sink). From a toast
// (htmx) the answer is empty: the stream's "acknowledged" event clears the
// toast on every board. From the alerts page it returns to the same list.
func (s *Server) alertAcknowledge(c echo.Context) error {
	if s.alerts == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = s.alerts.Engine.Acknowledge(c.Request().Context(), id, service.UserActor(currentUser(c)))
	if errors.Is(err, alert.ErrNotOpen) {
		return echo.NewHTTPError(http.StatusConflict, "This alert is no longer open: someone acknowledged or resolved it meanwhile.")
	}
	if err != nil {
		return err
	}
	if htmx.GetRequest(c).Partial() {
		return c.NoContent(http.StatusNoContent)
	}
	return s.backTo(c, RouteAlerts, "acknowledged")
}
