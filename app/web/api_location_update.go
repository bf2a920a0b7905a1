package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiLocationUpdate answers PATCH /api/v1/locations/{id}: changes the
// fields sent and keeps the rest; parent_id null takes it out of its
// parent. A parent inside the location itself is a 422 on parent_id.
func (s *Server) apiLocationUpdate(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	// parent_id: absent keeps the parent, null clears it.
	var body apiLocationBody
	sent, err := bindJSONSent(c, &body)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	l, err := s.store.Locations.Get(ctx, id)
	if err != nil {
		return err
	}
	in := service.LocationInput{Name: l.Name, ParentID: l.ParentID, Description: l.Description, Active: body.Active}
	if body.Name != nil {
		in.Name = *body.Name
	}
	if body.Description != nil {
		in.Description = *body.Description
	}
	if _, ok := sent["parent_id"]; ok {
		in.ParentID = body.ParentID
		if body.ParentID != nil {
			if _, err := s.store.Locations.Get(ctx, *body.ParentID); err != nil {
				return mustExist(err, "parent_id")
			}
		}
	}
	l, err = s.api().locations.Update(ctx, id, in)
	if err != nil {
		return apiFieldNames(err, locationFields)
	}
	return c.JSON(http.StatusOK, locationJSON(l))
}
