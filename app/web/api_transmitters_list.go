package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// apiTransmittersList answers GET /api/v1/transmitters: the latest known
// state of every pack and handheld on a watched receiver, by channel.
func (s *Server) apiTransmittersList(c echo.Context) error {
	list, err := s.store.Transmitters.Query().OnActiveReceivers().List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(transmittersJSON(list), ""))
}

// apiTransmittersLowBattery answers GET /api/v1/transmitters/low_battery:
// those at or under threshold percent (15 when not given).
func (s *Server) apiTransmittersLowBattery(c echo.Context) error {
	th, err := apiQueryInt(c, "threshold", defaultLowBattery, 1, 100)
	if err != nil {
		return err
	}
	list, err := s.store.Transmitters.Query().OnActiveReceivers().WithLowBattery(model.LowAt(th)).List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(transmittersJSON(list), ""))
}

func transmittersJSON(list []*model.Transmitter) []apiTransmitterJSON {
	out := make([]apiTransmitterJSON, len(list))
	for i, tx := range list {
		out[i] = transmitterJSON(tx)
	}
	return out
}
