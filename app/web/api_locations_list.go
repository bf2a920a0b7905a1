package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// apiLocationsList answers GET /api/v1/locations, by name; active=true
// keeps the active ones, roots=true the ones without a parent.
func (s *Server) apiLocationsList(c echo.Context) error {
	q := s.store.Locations.Query()
	active, err := apiQueryBool(c, "active")
	if err != nil {
		return err
	}
	if active != nil && *active {
		q = q.Active()
	}
	roots, err := apiQueryBool(c, "roots")
	if err != nil {
		return err
	}
	if roots != nil && *roots {
		q = q.Roots()
	}
	list, err := q.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(locationsJSON(list, false), ""))
}

// apiLocationCounts answers GET /api/v1/locations/counts: every location
// with device_count, the receivers in it and in the rooms below it.
func (s *Server) apiLocationCounts(c echo.Context) error {
	list, err := s.api().locations.ListWithCounts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(locationsJSON(list, true), ""))
}

func locationsJSON(list []*model.Location, counts bool) []apiLocationJSON {
	out := make([]apiLocationJSON, len(list))
	for i, l := range list {
		out[i] = locationJSON(l)
		if counts {
			n := l.DeviceCount
			out[i].DeviceCount = &n
		}
	}
	return out
}
