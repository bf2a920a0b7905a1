package web

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// DeviceControl is what the console asks of the monitor: watch exactly the
// active receivers now, drop and redo some sessions, write a channel's
// name into its receiver. app/monitor's Manager implements it.
type DeviceControl interface {
	Sync(ctx context.Context) error
	Reconnect(ctx context.Context, receiverIDs ...int64) (int, error)
	SetChannelName(ctx context.Context, receiverID int64, channel int, name string) error
}

// deviceAdmin is the console's state for device pages: the monitor (once
// attached), the device service and the live receiver rows.
type deviceAdmin struct {
	mu       sync.Mutex
	control  DeviceControl
	once     sync.Once
	devices  *service.Devices
	conns    *service.Connections
	rows     *receiverRowHub
	channels *service.Channels
}

// AttachDevices hands the console the monitor that watches the receivers,
// so marking one inactive stops watching it at once and a rename reaches
// the device. Until it is called those actions change only the database.
func (s *Server) AttachDevices(d DeviceControl) {
	s.devAdmin.mu.Lock()
	s.devAdmin.control = d
	s.devAdmin.mu.Unlock()
}

// deviceControl returns the attached monitor, or nil.
func (s *Server) deviceControl() DeviceControl {
	s.devAdmin.mu.Lock()
	defer s.devAdmin.mu.Unlock()
	return s.devAdmin.control
}

// dev returns the device console state, built on first use.
func (s *Server) dev() *deviceAdmin {
	d := &s.devAdmin
	d.once.Do(func() {
		d.devices = service.NewDevices(s.store)
		d.conns = service.NewConnections(s.store)
		d.channels = service.NewChannels(s.store)
		d.rows = newReceiverRowHub(s)
	})
	return d
}

// syncMonitor tells the monitor the set of watched receivers changed.
func (s *Server) syncMonitor(ctx context.Context) {
	if ctl := s.deviceControl(); ctl != nil {
		if err := ctl.Sync(ctx); err != nil {
			s.log.WarnContext(ctx, "console: sync the monitor", "err", err)
		}
	}
}

// receiversPageSize is how many receivers one page of the table shows.
const receiversPageSize = 25

// receiversFilter is the search, filter, sort and page of the receivers
// table, as in its URL.
type receiversFilter struct {
	Q        string
	Online   string // "", yes, no
	Active   string // "", yes, no
	Location int64  // 0: any
	Vendor   string // manufacturer code, "" for any
	Link     string // connection status, "" for any
	Sort     string
	Desc     bool
	Page     int
}

// receiverSorts are the columns the table sorts by, with their headings.
var receiverSorts = map[string]string{
	"name": "Receiver", "host": "Address", "model": "Model", "status": "Status", "last_seen_at": "Link",
}

func yesNo(v string) string {
	if v == "yes" || v == "no" {
		return v
	}
	return ""
}

func parseReceiversFilter(v url.Values) receiversFilter {
	f := receiversFilter{
		Q: truncate(strings.TrimSpace(v.Get("q")), 64), Online: yesNo(v.Get("online")), Active: yesNo(v.Get("active")),
		Vendor: truncate(strings.TrimSpace(v.Get("vendor")), 32), Sort: v.Get("sort"), Desc: v.Get("desc") == "1",
	}
	for _, st := range linkStatuses {
		if v.Get("link") == string(st) {
			f.Link = string(st)
		}
	}
	f.Location, _ = strconv.ParseInt(v.Get("loc"), 10, 64)
	f.Location = max(f.Location, 0)
	if _, ok := receiverSorts[f.Sort]; !ok {
		f.Sort = "name"
	}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.Page = max(f.Page, 1)
	return f
}

// Values is the filter as URL values, without the page.
func (f receiversFilter) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", f.Q)
	set("online", f.Online)
	set("active", f.Active)
	if f.Location > 0 {
		v.Set("loc", strconv.FormatInt(f.Location, 10))
	}
	set("vendor", f.Vendor)
	set("link", f.Link)
	if f.Sort != "name" {
		set("sort", f.Sort)
	}
	if f.Desc {
		v.Set("desc", "1")
	}
	return v
}

// Encode is the filter as a query string, for links and form actions.
func (f receiversFilter) Encode() string {
	v := f.Values()
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	return v.Encode()
}

// SortBy is the query string that sorts by key (again: the other way).
func (f receiversFilter) SortBy(key string) string {
	g := f
	g.Desc = f.Sort == key && !f.Desc
	g.Sort, g.Page = key, 1
	return g.Encode()
}

// AtPage is the query string of page n.
func (f receiversFilter) AtPage(n int) string {
	g := f
	g.Page = n
	return g.Encode()
}

// query is the store query of the filter, without sort or paging.
func (f receiversFilter) query(st *store.Store) *store.ReceiverQuery {
	q := st.Receivers.Query()
	if f.Q != "" {
		q = q.Search(f.Q)
	}
	switch f.Online {
	case "yes":
		q = q.Online()
	case "no":
		q = q.Offline()
	}
	switch f.Active {
	case "yes":
		q = q.Active()
	case "no":
		q = q.Inactive()
	}
	if f.Location > 0 {
		q = q.InLocation(f.Location)
	}
	if f.Vendor != "" {
		q = q.ByManufacturer(f.Vendor)
	}
	if f.Link != "" {
		q = q.LinkStatus(model.ConnStatus(f.Link))
	}
	return q
}

// receiverRow is one receiver of the live table: what the database knows
// of it, with the monitor's live view (online, batteries) laid over.
type receiverRow struct {
	ID          int64
	Name        string
	Address     string
	Model       string
	Vendor      string
	Location    string
	Active      bool
	Online      bool
	Status      string // lifecycle
	Conn        string // connection status
	LastMessage *time.Time
	Errors      int
	LastError   string
	Channels    []receiverRowChannel
}

// receiverRowChannel is one channel in a receiver row, its battery graded
// by the one health definition (model.Battery.Level).
type receiverRowChannel struct {
	ID      int64
	Number  int
	Name    string
	Battery string // "62 %", "3/5" or "" when unknown
	Level   string // critical, replace, good or "" when unknown
}

// newReceiverRow builds a row from a receiver loaded with its channels and
// relations, and the board's tiles of it (empty when it is not watched).
func newReceiverRow(rx *model.Receiver, tiles map[int64]live.Tile) receiverRow {
	r := receiverRow{
		ID: rx.ID, Name: rx.Name, Address: fmt.Sprintf("%s:%d", rx.Host, rx.Port), Model: rx.Model,
		Active: rx.Active, Online: rx.Online, Status: string(rx.Status),
	}
	if r.Name == "" {
		r.Name = r.Address
	}
	if rx.Manufacturer != nil {
		r.Vendor = rx.Manufacturer.Name
	}
	if rx.Location != nil {
		r.Location = rx.Location.Name
	}
	if c := rx.Connection; c != nil {
		r.Conn, r.LastMessage, r.Errors, r.LastError = string(c.Status), c.LastMessageAt, c.ErrorCount, c.ErrorMessage
	}
	live := false
	for _, ch := range rx.Channels {
		rc := receiverRowChannel{ID: ch.ID, Number: ch.Number, Name: ch.DisplayName()}
		var b model.Battery
		if t, ok := tiles[ch.ID]; ok && rx.Active {
			live = true
			r.Online = t.Online
			b = t.Battery
			if t.DeviceName != "" {
				rc.Name = t.DeviceName
			}
		} else if tx := ch.Transmitter; tx != nil {
			b = model.Battery{Bars: tx.BatteryBars, Percent: tx.BatteryPercent, Minutes: tx.BatteryMinutes}
		}
		rc.Level = strings.ToLower(string(b.Level()))
		switch {
		case b.Percent != nil:
			rc.Battery = strconv.Itoa(*b.Percent) + " %"
		case b.Bars != nil:
			rc.Battery = strconv.Itoa(*b.Bars) + "/5"
		}
		r.Channels = append(r.Channels, rc)
	}
	if !rx.Active {
		r.Online = false
	}
	if live && r.Online && (r.Status == string(model.LifecycleOffline) || r.Status == string(model.LifecycleDiscovered)) {
		r.Status = string(model.LifecycleOnline)
	} else if live && !r.Online && r.Status == string(model.LifecycleOnline) {
		r.Status = string(model.LifecycleOffline)
	}
	return r
}

// tilesOf collects the board's tiles of the given receivers, by channel id.
func tilesOf(b *live.Board, rxs []*model.Receiver) map[int64]live.Tile {
	out := map[int64]live.Tile{}
	if b == nil {
		return out
	}
	var ids []int64
	for _, rx := range rxs {
		for _, ch := range rx.Channels {
			ids = append(ids, ch.ID)
		}
	}
	for _, t := range b.TilesByID(ids) {
		out[t.ChannelID] = t
	}
	return out
}
