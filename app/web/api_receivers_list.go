package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// receiverOrders are the keys GET /api/v1/receivers sorts by.
var receiverOrders = []string{"id", "name", "host", "model", "status", "created_at", "updated_at", "last_seen_at"}

// apiReceiversList answers GET /api/v1/receivers: filtered by online,
// active, location (and the rooms below it), vendor and type, sorted by
// order, one page at a time (limit, cursor).
func (s *Server) apiReceiversList(c echo.Context) error {
	q := s.store.Receivers.Query().WithRelations()
	online, err := apiQueryBool(c, "online")
	if err != nil {
		return err
	}
	if online != nil {
		if *online {
			q = q.Online()
		} else {
			q = q.Offline()
		}
	}
	active, err := apiQueryBool(c, "active")
	if err != nil {
		return err
	}
	if active != nil {
		if *active {
			q = q.Active()
		} else {
			q = q.Inactive()
		}
	}
	loc, err := apiQueryID(c, "location")
	if err != nil {
		return err
	}
	if loc > 0 {
		q = q.InLocation(loc)
	}
	if v := strings.TrimSpace(c.QueryParam("vendor")); v != "" {
		q = q.ByManufacturer(truncate(v, 32))
	}
	typ, err := readDeviceType(c, "type")
	if err != nil {
		return err
	}
	if typ != "" {
		q = q.ByType(typ)
	}
	key, desc, err := readOrder(c, receiverOrders...)
	if err != nil {
		return err
	}
	if key != "" {
		q = q.OrderBy(key, desc)
	}
	page, err := readPage(c)
	if err != nil {
		return err
	}
	// The encoded page is cached (api_page_cache.go), dropped by the same
	// writes as the rows it shows.
	tags, cacheable := q.CacheTags()
	return s.apiCachedJSON(c, tags, cacheable, func(ctx context.Context) (any, error) {
		list, err := q.Paginate(page).List(ctx)
		if err != nil {
			return nil, err
		}
		return listOf(receiversJSON(list), nextCursor(page, len(list))), nil
	})
}

// apiReceiversOnline answers GET /api/v1/receivers/online: the watched
// receivers that answer.
func (s *Server) apiReceiversOnline(c echo.Context) error {
	list, err := s.store.Receivers.Query().Active().Online().WithRelations().OrderBy("name", false).List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(receiversJSON(list), ""))
}

// apiReceiversLowBattery answers GET /api/v1/receivers/low_battery: the
// watched receivers with a transmitter at or under threshold percent (15
// when not given), graded by the one battery rule (model.Battery).
func (s *Server) apiReceiversLowBattery(c echo.Context) error {
	th, err := apiQueryInt(c, "threshold", defaultLowBattery, 1, 100)
	if err != nil {
		return err
	}
	list, err := s.store.Receivers.Query().Active().WithLowBattery(model.LowAt(th)).
		WithRelations().WithChannels().OrderBy("name", false).List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(receiversJSON(list), ""))
}

// defaultLowBattery is the percent low_battery lists use unless told.
const defaultLowBattery = 15

func receiversJSON(list []*model.Receiver) []apiReceiverJSON {
	out := make([]apiReceiverJSON, len(list))
	for i, rx := range list {
		out[i] = receiverJSON(rx)
	}
	return out
}
