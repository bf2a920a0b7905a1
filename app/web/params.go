package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// pathID reads the :id of the route; anything but a positive number is a
// page that does not exist.
func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return id, nil
}
