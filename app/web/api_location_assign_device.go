package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiAssignDeviceBody is the body of POST /api/v1/locations/{id}/assign_device.
type apiAssignDeviceBody struct {
	ReceiverIDs []int64 `json:"receiver_ids"`
}

// maxAssignDevices bounds one assign_device call.
const maxAssignDevices = 5000

// apiLocationAssignDevice answers POST /api/v1/locations/{id}/assign_device:
// puts the receivers in the location, all or none (an unknown receiver is
// a 422 on receiver_ids and moves nothing), and says how many moved.
func (s *Server) apiLocationAssignDevice(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	var body apiAssignDeviceBody
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	switch {
	case len(body.ReceiverIDs) == 0:
		return badField("receiver_ids", "list at least one receiver id")
	case len(body.ReceiverIDs) > maxAssignDevices:
		return badField("receiver_ids", "at most %d receivers at once", maxAssignDevices)
	}
	for _, rx := range body.ReceiverIDs {
		if rx < 1 {
			return badField("receiver_ids", "ids are positive whole numbers")
		}
	}
	ctx := c.Request().Context()
	if _, err := s.store.Locations.Get(ctx, id); err != nil {
		return err
	}
	n, err := s.api().locations.AssignDevices(ctx, id, body.ReceiverIDs...)
	if err != nil {
		return mustExist(err, "receiver_ids")
	}
	s.dev().rows.Poke()
	return c.JSON(http.StatusOK, map[string]any{"location_id": id, "assigned": n})
}
