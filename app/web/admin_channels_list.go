package web

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// PageAdminChannels lists every channel with its transmitter.
const PageAdminChannels = "admin_channels"

// channelsPageSize is how many channels one page shows.
const channelsPageSize = 50

// channelsPage is the data of /admin/channels.
type channelsPage struct {
	Nav       []adminNavItem
	Q         string
	Vendor    string
	Location  int64
	Low       bool
	Rows      []channelRow
	Total     int
	Page      int
	Pages     int
	Vendors   []*model.Manufacturer
	Locations []*model.Location
	CSRF      string
	Notice    string
	Query     string
}

// channelRow is one channel and its transmitter, battery graded by the one
// health definition.
type channelRow struct {
	receiverRowChannel
	ReceiverID   int64
	ReceiverName string
	TxModel      string
	Frequency    string
	Online       bool
}

// AtPage is the query string of page n.
func (p channelsPage) AtPage(n int) string {
	v, _ := url.ParseQuery(p.Query)
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	return v.Encode()
}

// adminChannelsList renders the channels and transmitters: search by
// channel, receiver or transmitter; filter by vendor, location and low
// battery; a rename form on every row writes the name into the receiver.
func (s *Server) adminChannelsList(c echo.Context) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	v := c.QueryParams()
	f := parseReceiversFilter(v)
	p := channelsPage{Nav: adminNav(c, RouteAdminChannels), Q: f.Q, Vendor: f.Vendor, Location: f.Location, Low: v.Get("low") == "1", CSRF: csrfToken(c)}
	if c.QueryParam("done") == "renamed" {
		p.Notice = receiverNotices["renamed"]
	}
	q := receiversFilter{Vendor: f.Vendor, Location: f.Location, Sort: "name"}
	rxs, err := q.query(s.store).WithChannels().WithRelations().OrderBy("name", false).List(ctx)
	if err != nil {
		return err
	}
	if p.Locations, p.Vendors, err = s.receiverChoices(ctx); err != nil {
		return err
	}
	tiles := tilesOf(s.board, rxs)
	needle := strings.ToLower(f.Q)
	var rows []channelRow
	for _, rx := range rxs {
		r := newReceiverRow(rx, tiles)
		for i, ch := range rx.Channels {
			row := channelRow{receiverRowChannel: r.Channels[i], ReceiverID: rx.ID, ReceiverName: r.Name, Online: r.Online}
			if tx := ch.Transmitter; tx != nil {
				row.TxModel = tx.Model
			}
			if t, ok := tiles[ch.ID]; ok && t.TxModel != "" {
				row.TxModel = t.TxModel
			}
			if ch.FrequencyKHz != nil {
				row.Frequency = strconv.FormatFloat(float64(*ch.FrequencyKHz)/1000, 'f', 3, 64) + " MHz"
			}
			hay := strings.ToLower(row.Name + " " + row.ReceiverName + " " + row.TxModel)
			if needle != "" && !strings.Contains(hay, needle) {
				continue
			}
			if p.Low && row.Level != "critical" && row.Level != "replace" {
				continue
			}
			rows = append(rows, row)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].ReceiverName != rows[j].ReceiverName {
			return rows[i].ReceiverName < rows[j].ReceiverName
		}
		return rows[i].Number < rows[j].Number
	})
	p.Total = len(rows)
	p.Pages = max((p.Total+channelsPageSize-1)/channelsPageSize, 1)
	p.Page, _ = strconv.Atoi(v.Get("page"))
	p.Page = min(max(p.Page, 1), p.Pages)
	from := (p.Page - 1) * channelsPageSize
	p.Rows = rows[from:min(from+channelsPageSize, len(rows))]
	qv := f.Values()
	qv.Del("sort")
	if p.Low {
		qv.Set("low", "1")
	}
	p.Query = qv.Encode()
	noStore(c)
	return s.page(c, http.StatusOK, PageAdminChannels, View{Title: "Channels", Data: p})
}
