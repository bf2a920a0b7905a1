package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// apiTaskBody is the body of POST /api/v1/discovery/tasks.
type apiTaskBody struct {
	Name            *string `json:"name"`
	Kind            *string `json:"kind"`
	Target          string  `json:"target"`
	Vendor          string  `json:"vendor"`
	IntervalSeconds int     `json:"interval_seconds"`
	Enabled         *bool   `json:"enabled"`
}

// apiDiscoveryTaskCreate answers POST /api/v1/discovery/tasks with the new
// task (201): a CIDR sweep, a manual address, SLP or mDNS.
func (s *Server) apiDiscoveryTaskCreate(c echo.Context) error {
	var body apiTaskBody
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	switch {
	case body.Name == nil:
		return badField("name", "give the task a name")
	case body.Kind == nil:
		return badField("kind", "say how to search: manual, cidr, slp or mdns")
	}
	in := service.TaskInput{Name: *body.Name, Kind: model.DiscoveryKind(*body.Kind), Target: body.Target,
		Vendor: body.Vendor, IntervalSeconds: body.IntervalSeconds, Enabled: body.Enabled}
	t, err := service.CreateDiscoveryTask(c.Request().Context(), s.store, callerActor(c), in)
	if errors.Is(err, store.ErrAlreadyExists) {
		return conflict("a task with this name exists")
	}
	if err != nil {
		return apiFieldNames(err, map[string]string{"interval": "interval_seconds"})
	}
	return c.JSON(http.StatusCreated, taskJSON(t))
}
