package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiLocationBody is the body of POST and PATCH /api/v1/locations.
type apiLocationBody struct {
	Name        *string `json:"name"`
	ParentID    *int64  `json:"parent_id"`
	Description *string `json:"description"`
	Active      *bool   `json:"active"`
}

// locationFields are the API's names of the location service's fields.
var locationFields = map[string]string{"parent": "parent_id"}

// apiLocationCreate answers POST /api/v1/locations with the new location
// (201), under parent_id when given.
func (s *Server) apiLocationCreate(c echo.Context) error {
	var body apiLocationBody
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return badField("name", "give the location a name")
	}
	ctx := c.Request().Context()
	if body.ParentID != nil {
		if _, err := s.store.Locations.Get(ctx, *body.ParentID); err != nil {
			return mustExist(err, "parent_id")
		}
	}
	in := service.LocationInput{Name: *body.Name, ParentID: body.ParentID, Active: body.Active}
	if body.Description != nil {
		in.Description = *body.Description
	}
	l, err := s.api().locations.Create(ctx, in)
	if err != nil {
		return apiFieldNames(err, locationFields)
	}
	return c.JSON(http.StatusCreated, locationJSON(l))
}
