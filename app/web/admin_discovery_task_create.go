package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// adminDiscoveryTaskCreate adds a discovery task: a CIDR sweep, a manual
// address, SLP or mDNS. Bad input returns the form with the message
// beside the field.
func (s *Server) adminDiscoveryTaskCreate(c echo.Context) error {
	form := taskForm{Name: truncate(c.FormValue("name"), 200), Kind: truncate(c.FormValue("kind"), 20), Target: truncate(c.FormValue("target"), 200),
		Vendor: truncate(c.FormValue("vendor"), 20), Interval: truncate(c.FormValue("interval"), 20)}
	in := service.TaskInput{Name: form.Name, Kind: model.DiscoveryKind(form.Kind), Target: form.Target, Vendor: form.Vendor}
	fields := map[string]string{}
	if v := strings.TrimSpace(form.Interval); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fields["interval"] = "a whole number of seconds, at least 60"
		}
		in.IntervalSeconds = n
	}
	if len(fields) == 0 {
		ctx := c.Request().Context()
		err := service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
			t, err := service.NewDiscovery(tx).CreateTask(ctx, in)
			if err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "discovery.task.create", ObjectKind: "discovery_task", ObjectIDs: []int64{t.ID},
				Summary: fmt.Sprintf("created task %q: %s %s every %ds", t.Name, t.Kind, t.Target, t.IntervalSeconds)}, nil
		})
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			fields["name"] = "a task with this name exists"
		case fieldErrors(err) != nil:
			fields = fieldErrors(err)
		case err != nil:
			return err
		}
	}
	if len(fields) > 0 {
		form.Errors = fields
		return s.renderDiscovery(c, http.StatusUnprocessableEntity, form, nil)
	}
	return s.backTo(c, RouteAdminDiscovery, "task")
}
