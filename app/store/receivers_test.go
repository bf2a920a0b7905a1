package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

// TestReceiverQueryFilters runs every filter, alone and chained, against
// one fleet:
//
//	venue ─┬─ hall ── stage        other (a root, sibling of venue)
//	       └─ foyer
//
//	a  shure ulxd     active   online   stage  10 %, unknown
//	b  shure qlxd     active   offline  hall   1 bar (10 %)
//	c  senn  ewdx     inactive offline  venue  50 % and 1 bar (the bar wins: 10 %)
//	d  senn  em6000   active   online   other  unknown, unknown
//	e  shure axtd     active   online   —      0 bars
//	f  shure ulxd     active   online   foyer  15 % (exactly at 15)
//	g  shure ulxd     active   online   hall   no channels
//	h  shure slxd     active   online   —      channels without transmitters
func TestReceiverQueryFilters(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	venue := e.Location("Venue", nil)
	hall := e.Location("Hall", venue)
	stage := e.Location("Stage", hall)
	foyer := e.Location("Foyer", venue)
	other := e.Location("Other", nil)

	both := storetest.Battery{Bars: storetest.Int(1), Percent: storetest.Int(50)}
	rx := map[string]*storetest.Built{}
	for _, s := range []storetest.Rx{
		{Name: "a", Vendor: "shure", Type: model.TypeULXD, Online: true, LocationID: &stage.ID,
			Batteries: []storetest.Battery{storetest.Pct(10), storetest.Unknown}},
		{Name: "b", Vendor: "shure", Type: model.TypeQLXD, LocationID: &hall.ID,
			Batteries: []storetest.Battery{storetest.Bars(1)}},
		{Name: "c", Vendor: "sennheiser", Type: model.TypeEWDX, Inactive: true, LocationID: &venue.ID,
			Batteries: []storetest.Battery{both}},
		{Name: "d", Vendor: "sennheiser", Type: model.TypeEM6000, Online: true, LocationID: &other.ID,
			Batteries: []storetest.Battery{storetest.Unknown, storetest.Unknown}},
		{Name: "e", Vendor: "shure", Type: model.TypeAXTD, Online: true,
			Batteries: []storetest.Battery{storetest.Bars(0)}},
		{Name: "f", Vendor: "shure", Type: model.TypeULXD, Online: true, LocationID: &foyer.ID,
			Batteries: []storetest.Battery{storetest.Pct(15)}},
		{Name: "g", Vendor: "shure", Type: model.TypeULXD, Online: true, LocationID: &hall.ID},
		{Name: "h", Vendor: "shure", Type: model.TypeSLXD, Online: true, Channels: 2},
	} {
		rx[s.Name] = e.Receiver(s)
	}
	// A device that reported 255 is stored as NULL; make sure the fixture
	// really holds NULL and not 0.
	if n := e.Count("transmitters", "battery_bars IS NULL AND battery_percent IS NULL"); n != 3 {
		t.Fatalf("unknown batteries stored = %d, want 3", n)
	}

	type q = *store.ReceiverQuery
	cases := []struct {
		name  string
		build func(q) q
		want  []string
	}{
		{"all", func(q q) q { return q }, []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{"active", func(q q) q { return q.Active() }, []string{"a", "b", "d", "e", "f", "g", "h"}},
		{"inactive", func(q q) q { return q.Inactive() }, []string{"c"}},
		{"online", func(q q) q { return q.Online() }, []string{"a", "d", "e", "f", "g", "h"}},
		{"offline", func(q q) q { return q.Offline() }, []string{"b", "c"}},

		{"low battery 0: only an empty battery", func(q q) q { return q.WithLowBattery(model.LowAt(0)) }, []string{"e"}},
		{"low battery 9: below the 10 % ones", func(q q) q { return q.WithLowBattery(model.LowAt(9)) }, []string{"e"}},
		{"low battery 14: below the 15 % one", func(q q) q { return q.WithLowBattery(model.LowAt(14)) }, []string{"a", "b", "c", "e"}},
		{"low battery 15: exactly at threshold counts", func(q q) q { return q.WithLowBattery(model.LowAt(15)) }, []string{"a", "b", "c", "e", "f"}},
		{"low battery 10: one bar is 10 %, the bar wins over 50 %", func(q q) q { return q.WithLowBattery(model.LowAt(10)) }, []string{"a", "b", "c", "e"}},
		{"low battery 20", func(q q) q { return q.WithLowBattery(model.LowAt(20)) }, []string{"a", "b", "c", "e", "f"}},
		{"a minutes threshold with no minutes stored: only the empty one", func(q q) q {
			return q.WithLowBattery(model.BatteryThresholds{LowMinutes: 30})
		}, []string{"e"}},
		{"low battery 50", func(q q) q { return q.WithLowBattery(model.LowAt(50)) }, []string{"a", "b", "c", "e", "f"}},
		{"low battery 100: unknown never low", func(q q) q { return q.WithLowBattery(model.LowAt(100)) }, []string{"a", "b", "c", "e", "f"}},

		{"in venue: children and grandchildren", func(q q) q { return q.InLocation(venue.ID) }, []string{"a", "b", "c", "f", "g"}},
		{"in hall: not parent, not sibling", func(q q) q { return q.InLocation(hall.ID) }, []string{"a", "b", "g"}},
		{"in stage: leaf", func(q q) q { return q.InLocation(stage.ID) }, []string{"a"}},
		{"in foyer", func(q q) q { return q.InLocation(foyer.ID) }, []string{"f"}},
		{"in other root", func(q q) q { return q.InLocation(other.ID) }, []string{"d"}},
		{"in missing location", func(q q) q { return q.InLocation(other.ID + 1000) }, nil},

		{"type ulxd", func(q q) q { return q.ByType(model.TypeULXD) }, []string{"a", "f", "g"}},
		{"type em6000", func(q q) q { return q.ByType(model.TypeEM6000) }, []string{"d"}},
		{"type uhfr: none", func(q q) q { return q.ByType(model.TypeUHFR) }, nil},
		{"shure", func(q q) q { return q.ByManufacturer("shure") }, []string{"a", "b", "e", "f", "g", "h"}},
		{"sennheiser", func(q q) q { return q.ByManufacturer("sennheiser") }, []string{"c", "d"}},
		{"unknown vendor", func(q q) q { return q.ByManufacturer("nobody") }, nil},
		{"ids", func(q q) q { return q.IDs(rx["b"].Receiver.ID, rx["d"].Receiver.ID) }, []string{"b", "d"}},

		{"chain active online low 15 in venue", func(q q) q {
			return q.Active().Online().WithLowBattery(model.LowAt(15)).InLocation(venue.ID)
		}, []string{"a", "f"}},
		{"chain active online low 15 in hall", func(q q) q {
			return q.Active().Online().WithLowBattery(model.LowAt(15)).InLocation(hall.ID)
		}, []string{"a"}},
		{"chain shure offline", func(q q) q { return q.ByManufacturer("shure").Offline() }, []string{"b"}},
		{"chain inactive online: none", func(q q) q { return q.Inactive().Online() }, nil},
		{"chain active inactive: none", func(q q) q { return q.Active().Inactive() }, nil},
		{"chain low 50 sennheiser in venue", func(q q) q {
			return q.WithLowBattery(model.LowAt(50)).ByManufacturer("sennheiser").InLocation(venue.ID)
		}, []string{"c"}},
		{"chain type ulxd in hall online", func(q q) q {
			return q.ByType(model.TypeULXD).InLocation(hall.ID).Online()
		}, []string{"a", "g"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, err := c.build(e.St.Receivers.Query()).List(e.Ctx)
			must(t, err)
			sameStrings(t, "List", rxNames(list), c.want)
			n, err := c.build(e.St.Receivers.Query()).Count(e.Ctx)
			must(t, err)
			if n != len(c.want) {
				t.Errorf("Count = %d, want %d", n, len(c.want))
			}
			// The joins of WithRelations must not change what matches.
			full, err := c.build(e.St.Receivers.Query().WithRelations().WithChannels()).List(e.Ctx)
			must(t, err)
			sameStrings(t, "List with relations", rxNames(full), c.want)
		})
	}
}

func TestReceiverQueryRecentlyUpdated(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	e.Receiver(storetest.Rx{Name: "fresh"})
	tenMin := e.Receiver(storetest.Rx{Name: "ten-minutes"}).Receiver
	twoHours := e.Receiver(storetest.Rx{Name: "two-hours"}).Receiver
	e.Exec("UPDATE receivers SET updated_at = "+storetest.Ago(10*time.Minute)+" WHERE id = ?", tenMin.ID)
	e.Exec("UPDATE receivers SET updated_at = "+storetest.Ago(2*time.Hour)+" WHERE id = ?", twoHours.ID)

	cases := []struct {
		within time.Duration
		want   []string
	}{
		{time.Minute, []string{"fresh"}},
		{5 * time.Minute, []string{"fresh"}},
		{time.Hour, []string{"fresh", "ten-minutes"}},
		{3 * time.Hour, []string{"fresh", "ten-minutes", "two-hours"}},
	}
	for _, c := range cases {
		t.Run(c.within.String(), func(t *testing.T) {
			list, err := e.St.Receivers.Query().RecentlyUpdated(c.within).List(e.Ctx)
			must(t, err)
			sameStrings(t, "RecentlyUpdated", rxNames(list), c.want)
		})
	}

	// An Update bumps updated_at, so the old receiver counts as recent again.
	twoHours.Name = "two-hours-renamed"
	must(t, e.St.Receivers.Update(e.Ctx, twoHours, "name"))
	list, err := e.St.Receivers.Query().RecentlyUpdated(time.Minute).List(e.Ctx)
	must(t, err)
	sameStrings(t, "after update", rxNames(list), []string{"fresh", "two-hours-renamed"})
}

func TestReceiverQueryOrderBy(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	mk := func(name, host, mdl string, st model.Lifecycle) *model.Receiver {
		r := e.Receiver(storetest.Rx{Name: name, Host: host, Model: mdl}).Receiver
		r.Status = st
		must(t, e.St.Receivers.Update(e.Ctx, r, "status"))
		return r
	}
	mk("bravo", "10.0.0.3", "m1", model.LifecycleOnline)
	a := mk("alpha", "10.0.0.2", "m2", model.LifecycleOffline)
	c := mk("charlie", "10.0.0.1", "m1", model.LifecycleOnline)
	// Only alpha and charlie were ever seen; bravo's last_seen_at is NULL.
	e.Exec("UPDATE receivers SET last_seen_at = "+storetest.Ago(time.Hour)+" WHERE id = ?", a.ID)
	e.Exec("UPDATE receivers SET last_seen_at = "+storetest.Ago(time.Minute)+" WHERE id = ?", c.ID)

	type q = *store.ReceiverQuery
	cases := []struct {
		name  string
		build func(q) q
		want  []string
	}{
		{"default is id", func(q q) q { return q }, []string{"bravo", "alpha", "charlie"}},
		{"id desc", func(q q) q { return q.OrderBy("id", true) }, []string{"charlie", "alpha", "bravo"}},
		{"name asc", func(q q) q { return q.OrderBy("name", false) }, []string{"alpha", "bravo", "charlie"}},
		{"name desc", func(q q) q { return q.OrderBy("name", true) }, []string{"charlie", "bravo", "alpha"}},
		{"host asc", func(q q) q { return q.OrderBy("host", false) }, []string{"charlie", "alpha", "bravo"}},
		{"model then id tie-break", func(q q) q { return q.OrderBy("model", false) }, []string{"bravo", "charlie", "alpha"}},
		{"model then name desc", func(q q) q { return q.OrderBy("model", false).OrderBy("name", true) }, []string{"charlie", "bravo", "alpha"}},
		{"status desc then name", func(q q) q { return q.OrderBy("status", true).OrderBy("name", false) }, []string{"bravo", "charlie", "alpha"}},
		{"last seen desc, never seen last", func(q q) q { return q.OrderBy("last_seen_at", true) }, []string{"charlie", "alpha", "bravo"}},
		{"order with filter", func(q q) q {
			return q.ByType(model.TypeULXD).OrderBy("name", true).Paginate(store.Page{Number: 1, Size: 2})
		}, []string{"charlie", "bravo"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, err := c.build(e.St.Receivers.Query()).List(e.Ctx)
			must(t, err)
			sameStrings(t, "List", rxNames(list), c.want)
		})
	}

	for _, key := range []string{"", "nope", "Name", "rx.name", "name; DROP TABLE receivers", "manufacturer_id"} {
		t.Run("unknown key "+key, func(t *testing.T) {
			q := e.St.Receivers.Query().Active().OrderBy(key, false).OrderBy("name", false)
			list, err := q.List(e.Ctx)
			mustErr(t, err, store.ErrInvalid)
			if list != nil {
				t.Errorf("List returned rows with an error: %v", rxNames(list))
			}
			n, err := q.Count(e.Ctx)
			mustErr(t, err, store.ErrInvalid)
			if n != 0 {
				t.Errorf("Count = %d with an error", n)
			}
		})
	}
	if n := e.Count("receivers", ""); n != 3 {
		t.Fatalf("receivers after bad sort keys = %d, want 3", n)
	}
}

func TestReceiverQueryPaginateAndCount(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	for _, n := range []string{"r3", "r1", "r5", "r2", "r4"} {
		e.Receiver(storetest.Rx{Name: n})
	}
	e.Receiver(storetest.Rx{Name: "r0-inactive", Inactive: true})

	cases := []struct {
		page store.Page
		want []string
	}{
		{store.Page{}, []string{"r1", "r2", "r3", "r4", "r5"}},
		{store.Page{Number: 1, Size: 2}, []string{"r1", "r2"}},
		{store.Page{Number: 2, Size: 2}, []string{"r3", "r4"}},
		{store.Page{Number: 3, Size: 2}, []string{"r5"}},
		{store.Page{Number: 4, Size: 2}, nil},
		{store.Page{Number: 0, Size: 2}, []string{"r1", "r2"}},
		{store.Page{Number: -3, Size: 3}, []string{"r1", "r2", "r3"}},
		{store.Page{Number: 2, Size: 3}, []string{"r4", "r5"}},
		{store.Page{Number: 1, Size: 10}, []string{"r1", "r2", "r3", "r4", "r5"}},
		{store.Page{Number: 5, Size: 0}, []string{"r1", "r2", "r3", "r4", "r5"}},
	}
	for _, c := range cases {
		t.Run("", func(t *testing.T) {
			q := e.St.Receivers.Query().Active().OrderBy("name", false).Paginate(c.page)
			list, err := q.List(e.Ctx)
			must(t, err)
			sameStrings(t, "page", rxNames(list), c.want)
			n, err := q.Count(e.Ctx)
			must(t, err)
			if n != 5 {
				t.Errorf("Count with page %+v = %d, want 5 (paging ignored)", c.page, n)
			}
		})
	}
	n, err := e.St.Receivers.Query().WithChannels().WithRelations().Count(e.Ctx)
	must(t, err)
	if n != 6 {
		t.Errorf("Count with relations = %d, want 6", n)
	}
}

func TestReceiverQueryWithChannels(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "quad"}).Receiver
	e.Receiver(storetest.Rx{Name: "other", Batteries: []storetest.Battery{storetest.Pct(99)}})
	e.Receiver(storetest.Rx{Name: "empty"})
	// Insert channels out of order so row order differs from number order.
	for _, n := range []int{3, 1, 4, 2} {
		must(t, e.St.Channels.Upsert(e.Ctx, &model.Channel{ReceiverID: r.ID, Number: n, Name: "CH" + string(rune('0'+n))}))
	}
	chs, err := e.St.Channels.ByReceiver(e.Ctx, r.ID)
	must(t, err)
	// Transmitters on channels 2 and 4 only.
	must(t, e.St.Transmitters.Upsert(e.Ctx,
		&model.Transmitter{ChannelID: chs[1].ID, BatteryPercent: storetest.Int(42), Status: "OK"},
		&model.Transmitter{ChannelID: chs[3].ID, BatteryBars: storetest.Int(3), Status: "OK"}))

	list, err := e.St.Receivers.Query().WithChannels().OrderBy("name", false).List(e.Ctx)
	must(t, err)
	sameStrings(t, "receivers", rxNames(list), []string{"empty", "other", "quad"})
	if len(list[0].Channels) != 0 {
		t.Errorf("empty receiver has %d channels", len(list[0].Channels))
	}
	if len(list[1].Channels) != 1 || list[1].Channels[0].Transmitter == nil ||
		!eqInt(list[1].Channels[0].Transmitter.BatteryPercent, storetest.Int(99)) {
		t.Errorf("other receiver's channels not loaded with transmitter: %+v", list[1].Channels)
	}
	quad := list[2]
	var nums []int
	for _, ch := range quad.Channels {
		nums = append(nums, ch.Number)
		if ch.ReceiverID != r.ID {
			t.Errorf("channel %d belongs to receiver %d, want %d", ch.Number, ch.ReceiverID, r.ID)
		}
	}
	if len(nums) != 4 || nums[0] != 1 || nums[1] != 2 || nums[2] != 3 || nums[3] != 4 {
		t.Fatalf("channel numbers = %v, want [1 2 3 4]", nums)
	}
	for _, ch := range quad.Channels {
		switch ch.Number {
		case 2:
			if ch.Transmitter == nil || !eqInt(ch.Transmitter.BatteryPercent, storetest.Int(42)) || ch.Transmitter.BatteryBars != nil {
				t.Errorf("channel 2 transmitter = %+v, want 42 %% and no bars", ch.Transmitter)
			}
		case 4:
			if ch.Transmitter == nil || !eqInt(ch.Transmitter.BatteryBars, storetest.Int(3)) || ch.Transmitter.BatteryPercent != nil {
				t.Errorf("channel 4 transmitter = %+v, want 3 bars", ch.Transmitter)
			}
		default:
			if ch.Transmitter != nil && ch.Transmitter.ID != 0 {
				t.Errorf("channel %d has a transmitter %+v, want none", ch.Number, ch.Transmitter)
			}
		}
	}

	// Without WithChannels nothing is loaded.
	plain, err := e.St.Receivers.Query().IDs(r.ID).List(e.Ctx)
	must(t, err)
	if len(plain) != 1 || len(plain[0].Channels) != 0 {
		t.Errorf("channels loaded without WithChannels: %+v", plain)
	}
}

func TestReceiversGet(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	room := e.Location("Room 1", nil)
	b := e.Receiver(storetest.Rx{Name: "main", Vendor: "sennheiser", Type: model.TypeEWDX, LocationID: &room.ID,
		Batteries: []storetest.Battery{storetest.Pct(80), storetest.Bars(2)}, Channels: 3})
	_, err := e.St.Connections.Ensure(e.Ctx, b.Receiver.ID, model.ConnConnected)
	must(t, err)
	bare := e.Receiver(storetest.Rx{Name: "bare"}).Receiver

	got, err := e.St.Receivers.Get(e.Ctx, b.Receiver.ID)
	must(t, err)
	if got.ID != b.Receiver.ID || got.Name != "main" || got.DeviceType != model.TypeEWDX || got.Host != b.Receiver.Host {
		t.Errorf("Get = %+v", got)
	}
	if got.Manufacturer == nil || got.Manufacturer.Code != "sennheiser" || got.Manufacturer.Name != "Sennheiser" {
		t.Errorf("Manufacturer = %+v", got.Manufacturer)
	}
	if got.Location == nil || got.Location.ID != room.ID || got.Location.Name != "Room 1" {
		t.Errorf("Location = %+v", got.Location)
	}
	if got.Connection == nil || got.Connection.ReceiverID != got.ID || got.Connection.Status != model.ConnConnected {
		t.Errorf("Connection = %+v", got.Connection)
	}
	if len(got.Channels) != 3 {
		t.Fatalf("channels = %d, want 3", len(got.Channels))
	}
	for i, ch := range got.Channels {
		if ch.Number != i+1 {
			t.Errorf("channel %d has number %d", i, ch.Number)
		}
	}
	if tx := got.Channels[0].Transmitter; tx == nil || !eqInt(tx.BatteryPercent, storetest.Int(80)) {
		t.Errorf("channel 1 transmitter = %+v", tx)
	}
	if tx := got.Channels[1].Transmitter; tx == nil || !eqInt(tx.BatteryBars, storetest.Int(2)) {
		t.Errorf("channel 2 transmitter = %+v", tx)
	}

	// Without location or connection the relations stay empty.
	g2, err := e.St.Receivers.Get(e.Ctx, bare.ID)
	must(t, err)
	if g2.Location != nil && g2.Location.ID != 0 {
		t.Errorf("bare Location = %+v, want none", g2.Location)
	}
	if g2.Connection != nil && g2.Connection.ID != 0 {
		t.Errorf("bare Connection = %+v, want none", g2.Connection)
	}
	if g2.Manufacturer == nil || g2.Manufacturer.Code != "shure" {
		t.Errorf("bare Manufacturer = %+v", g2.Manufacturer)
	}

	for _, id := range []int64{0, -1, bare.ID + 1000} {
		r, err := e.St.Receivers.Get(e.Ctx, id)
		mustErr(t, err, store.ErrNotFound)
		if r != nil {
			t.Errorf("Get(%d) returned %+v with ErrNotFound", id, r)
		}
	}
}

func TestReceiversFind(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	shure, err := e.St.Manufacturers.ByCode(e.Ctx, "shure")
	must(t, err)
	senn, err := e.St.Manufacturers.ByCode(e.Ctx, "sennheiser")
	must(t, err)
	a := e.Receiver(storetest.Rx{Name: "a", Host: "192.168.1.10", Port: 2202, Serial: "SN-1", MAC: "00:0e:dd:aa:bb:cc"}).Receiver
	b := e.Receiver(storetest.Rx{Name: "b", Host: "192.168.1.10", Port: 2203, Serial: "SN-2", Vendor: "sennheiser", Type: model.TypeEWDX}).Receiver
	e.Receiver(storetest.Rx{Name: "c", Host: "192.168.1.11", Port: 2202}) // no serial, no MAC
	// The same serial at another vendor is a different device.
	d := e.Receiver(storetest.Rx{Name: "d", Host: "192.168.1.12", Serial: "SN-1", Vendor: "sennheiser", Type: model.TypeEWDX}).Receiver

	t.Run("serial", func(t *testing.T) {
		cases := []struct {
			mf     int64
			serial string
			want   string
		}{
			{shure.ID, "SN-1", "a"},
			{senn.ID, "SN-1", "d"},
			{senn.ID, "SN-2", "b"},
			{shure.ID, "SN-2", ""},
			{shure.ID, "sn-1", ""},
			{shure.ID, "", ""}, // c has an empty serial: never a match
			{shure.ID + senn.ID + 100, "SN-1", ""},
		}
		for _, c := range cases {
			r, err := e.St.Receivers.FindBySerial(e.Ctx, c.mf, c.serial)
			check(t, "FindBySerial "+c.serial, r, err, c.want)
		}
	})
	t.Run("mac", func(t *testing.T) {
		for mac, want := range map[string]string{
			"00:0e:dd:aa:bb:cc": "a",
			"00:0E:DD:AA:BB:CC": "a",
			"00:0e:dd:aa:bb:cd": "",
			"":                  "", // b, c and d have no MAC
		} {
			r, err := e.St.Receivers.FindByMAC(e.Ctx, mac)
			check(t, "FindByMAC "+mac, r, err, want)
		}
	})
	t.Run("address", func(t *testing.T) {
		cases := []struct {
			host string
			port int
			want string
		}{
			{"192.168.1.10", 2202, "a"},
			{"192.168.1.10", 2203, "b"},
			{"192.168.1.11", 2202, "c"},
			{"192.168.1.11", 2203, ""},
			{"192.168.1.13", 2202, ""},
			{"192.168.1.1", 2202, ""},
		}
		for _, c := range cases {
			r, err := e.St.Receivers.FindByAddress(e.Ctx, c.host, c.port)
			check(t, "FindByAddress "+c.host, r, err, c.want)
		}
	})
	if a.ID == b.ID || d.ID == a.ID {
		t.Fatal("fixture ids collide")
	}
}

func check(t *testing.T, what string, r *model.Receiver, err error, want string) {
	t.Helper()
	if want == "" {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: got %+v, %v; want ErrNotFound", what, r, err)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if r.Name != want {
		t.Errorf("%s = %q, want %q", what, r.Name, want)
	}
}

func TestReceiversCreate(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	shure, err := e.St.Manufacturers.ByCode(e.Ctx, "shure")
	must(t, err)
	first := &model.Receiver{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "10.1.1.1", Port: 2202, Name: "first", Serial: "S1", Active: true}
	must(t, e.St.Receivers.Create(e.Ctx, first))
	if first.ID == 0 || first.Status != model.LifecycleDiscovered || first.CreatedAt.IsZero() || first.UpdatedAt.IsZero() {
		t.Fatalf("Create did not fill defaults: %+v", first)
	}
	got, err := e.St.Receivers.Get(e.Ctx, first.ID)
	must(t, err)
	if got.Status != model.LifecycleDiscovered || !got.Active || got.Online || got.Name != "first" {
		t.Errorf("stored = %+v", got)
	}

	cases := []struct {
		name       string
		rx         model.Receiver
		kind       error
		constraint string
	}{
		{"duplicate host:port", model.Receiver{ManufacturerID: shure.ID, DeviceType: model.TypeQLXD, Host: "10.1.1.1", Port: 2202},
			store.ErrAlreadyExists, "receivers_host_port_key"},
		{"duplicate serial of vendor", model.Receiver{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "10.1.1.2", Port: 2202, Serial: "S1"},
			store.ErrAlreadyExists, "receivers_serial_key"},
		{"bad device type", model.Receiver{ManufacturerID: shure.ID, DeviceType: "Walkie Talkie", Host: "10.1.1.3", Port: 2202},
			store.ErrInvalid, "receivers_device_type_check"},
		{"port zero", model.Receiver{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "10.1.1.4", Port: 0},
			store.ErrInvalid, "receivers_port_check"},
		{"port too big", model.Receiver{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "10.1.1.4", Port: 70000},
			store.ErrInvalid, "receivers_port_check"},
		{"blank host", model.Receiver{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "  ", Port: 2202},
			store.ErrInvalid, "receivers_host_check"},
		{"bad status", model.Receiver{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "10.1.1.5", Port: 2202, Status: "lost"},
			store.ErrInvalid, "receivers_status_check"},
		{"unknown manufacturer", model.Receiver{ManufacturerID: shure.ID + 999, DeviceType: model.TypeULXD, Host: "10.1.1.6", Port: 2202},
			store.ErrConflict, "receivers_manufacturer_id_fkey"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rx := c.rx
			err := e.St.Receivers.Create(e.Ctx, &rx)
			mustErr(t, err, c.kind)
			if got := store.ConstraintName(err); got != c.constraint {
				t.Errorf("ConstraintName = %q, want %q", got, c.constraint)
			}
		})
	}
	if n := e.Count("receivers", ""); n != 1 {
		t.Fatalf("receivers after failed creates = %d, want 1", n)
	}

	// Same host on another port, and the same serial at another vendor, are fine.
	senn, err := e.St.Manufacturers.ByCode(e.Ctx, "sennheiser")
	must(t, err)
	for _, rx := range []*model.Receiver{
		{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "10.1.1.1", Port: 2203, Active: true},
		{ManufacturerID: senn.ID, DeviceType: model.TypeEWDX, Host: "10.1.1.7", Port: 45, Serial: "S1", Active: true},
		{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "10.1.1.8", Port: 2202, Active: true}, // empty serial twice
		{ManufacturerID: shure.ID, DeviceType: model.TypeULXD, Host: "10.1.1.9", Port: 2202, Active: true},
	} {
		if err := e.St.Receivers.Create(e.Ctx, rx); err != nil {
			t.Errorf("Create %s:%d: %v", rx.Host, rx.Port, err)
		}
	}
	if n := e.Count("receivers", ""); n != 5 {
		t.Fatalf("receivers = %d, want 5", n)
	}
}

func TestReceiversUpdate(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "old", Host: "10.2.0.1"}).Receiver
	other := e.Receiver(storetest.Rx{Name: "other", Host: "10.2.0.2"}).Receiver
	e.Exec("UPDATE receivers SET updated_at = "+storetest.Ago(time.Hour)+" WHERE id IN (?, ?)", r.ID, other.ID)

	// Named columns: only those are written.
	r.Name = "new"
	r.Firmware = "9.9.9"
	must(t, e.St.Receivers.Update(e.Ctx, r, "name"))
	if !recent(&r.UpdatedAt, time.Minute) {
		t.Errorf("UpdatedAt not returned fresh: %v", r.UpdatedAt)
	}
	got, err := e.St.Receivers.Get(e.Ctx, r.ID)
	must(t, err)
	if got.Name != "new" || got.Firmware != "" {
		t.Errorf("after Update(name): name %q firmware %q, want new and empty", got.Name, got.Firmware)
	}
	if !recent(&got.UpdatedAt, time.Minute) {
		t.Errorf("updated_at not bumped: %v", got.UpdatedAt)
	}

	// All columns.
	loc := e.Location("Rack", nil)
	r.Firmware = "1.2.3"
	r.LocationID = &loc.ID
	r.Online = true
	r.Status = model.LifecycleOnline
	must(t, e.St.Receivers.Update(e.Ctx, r))
	got, err = e.St.Receivers.Get(e.Ctx, r.ID)
	must(t, err)
	if got.Firmware != "1.2.3" || got.LocationID == nil || *got.LocationID != loc.ID || !got.Online ||
		got.Status != model.LifecycleOnline || got.Name != "new" {
		t.Errorf("after full Update: %+v", got)
	}
	if !got.CreatedAt.Equal(r.CreatedAt) {
		t.Errorf("created_at changed: %v → %v", r.CreatedAt, got.CreatedAt)
	}
	// The other receiver is untouched.
	og, err := e.St.Receivers.Get(e.Ctx, other.ID)
	must(t, err)
	if og.Name != "other" || recent(&og.UpdatedAt, 30*time.Minute) {
		t.Errorf("other receiver changed: %+v", og)
	}

	// Moving onto another receiver's address is refused.
	r.Host = other.Host
	err = e.St.Receivers.Update(e.Ctx, r, "host")
	mustErr(t, err, store.ErrAlreadyExists)

	missing := &model.Receiver{ID: other.ID + 1000, Name: "ghost"}
	mustErr(t, e.St.Receivers.Update(e.Ctx, missing, "name"), store.ErrNotFound)
}

func TestReceiversSetActive(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	a := e.Receiver(storetest.Rx{Name: "a", Online: true}).Receiver
	b := e.Receiver(storetest.Rx{Name: "b", Online: true}).Receiver
	c := e.Receiver(storetest.Rx{Name: "c", Online: true}).Receiver

	state := func() map[string][2]bool {
		list, err := e.St.Receivers.Query().List(e.Ctx)
		must(t, err)
		out := map[string][2]bool{}
		for _, r := range list {
			out[r.Name] = [2]bool{r.Active, r.Online}
		}
		return out
	}
	steps := []struct {
		name   string
		active bool
		ids    []int64
		n      int
		want   map[string][2]bool // [active, online]
	}{
		{"deactivate a b", false, []int64{a.ID, b.ID}, 2,
			map[string][2]bool{"a": {false, false}, "b": {false, false}, "c": {true, true}}},
		{"deactivate a again: no change", false, []int64{a.ID}, 0,
			map[string][2]bool{"a": {false, false}, "b": {false, false}, "c": {true, true}}},
		{"activate all: c already active", true, []int64{a.ID, b.ID, c.ID}, 2,
			map[string][2]bool{"a": {true, false}, "b": {true, false}, "c": {true, true}}},
		{"missing id", false, []int64{c.ID + 100}, 0,
			map[string][2]bool{"a": {true, false}, "b": {true, false}, "c": {true, true}}},
		{"no ids", false, nil, 0,
			map[string][2]bool{"a": {true, false}, "b": {true, false}, "c": {true, true}}},
	}
	for _, s := range steps {
		n, err := e.St.Receivers.SetActive(e.Ctx, s.active, s.ids...)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if n != s.n {
			t.Errorf("%s: changed %d, want %d", s.name, n, s.n)
		}
		if got := state(); len(got) != 3 || got["a"] != s.want["a"] || got["b"] != s.want["b"] || got["c"] != s.want["c"] {
			t.Errorf("%s: state %v, want %v", s.name, got, s.want)
		}
	}
}

func TestReceiversDeleteCascades(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	gone := e.Receiver(storetest.Rx{Name: "gone", Batteries: []storetest.Battery{storetest.Pct(50), storetest.Pct(60)}, Channels: 3})
	kept := e.Receiver(storetest.Rx{Name: "kept", Batteries: []storetest.Battery{storetest.Pct(70)}})
	for _, b := range []*storetest.Built{gone, kept} {
		_, err := e.St.Connections.Ensure(e.Ctx, b.Receiver.ID, model.ConnConnected)
		must(t, err)
	}
	p := e.Performer("Singer")
	e.Assign(p, gone.Channels[0], model.PriorityHigh, true)
	e.Assign(p, kept.Channels[0], model.PriorityHigh, true)
	shure, err := e.St.Manufacturers.ByCode(e.Ctx, "shure")
	must(t, err)
	dd := &model.DiscoveredDevice{ManufacturerID: shure.ID, Host: gone.Receiver.Host, Port: gone.Receiver.Port, ReceiverID: &gone.Receiver.ID}
	must(t, e.St.DiscoveredDevices.Upsert(e.Ctx, dd))

	must(t, e.St.Receivers.Delete(e.Ctx, gone.Receiver.ID))

	gid, kid := gone.Receiver.ID, kept.Receiver.ID
	for _, c := range []struct {
		table, where string
		id           int64
		want         int
	}{
		{"receivers", "id = ?", gid, 0},
		{"channels", "receiver_id = ?", gid, 0},
		{"transmitters", "channel_id IN (SELECT id FROM channels WHERE receiver_id = ?)", gid, 0},
		{"connections", "receiver_id = ?", gid, 0},
		{"assignments", "channel_id = ?", gone.Channels[0].ID, 0},
		{"receivers", "id = ?", kid, 1},
		{"channels", "receiver_id = ?", kid, 1},
		{"transmitters", "channel_id IN (SELECT id FROM channels WHERE receiver_id = ?)", kid, 1},
		{"connections", "receiver_id = ?", kid, 1},
		{"assignments", "channel_id = ?", kept.Channels[0].ID, 1},
		{"performers", "id = ?", p.ID, 1},
	} {
		if n := e.Count(c.table, c.where, c.id); n != c.want {
			t.Errorf("%s where %s: %d rows, want %d", c.table, c.where, n, c.want)
		}
	}
	if n := e.Count("transmitters", ""); n != 1 {
		t.Errorf("transmitters left = %d, want 1", n)
	}
	got, err := e.St.DiscoveredDevices.Get(e.Ctx, dd.ID)
	must(t, err)
	if got.ReceiverID != nil {
		t.Errorf("discovered device still points at deleted receiver %d", *got.ReceiverID)
	}

	err = e.St.Receivers.Delete(e.Ctx, gid)
	mustErr(t, err, store.ErrNotFound)
	if !strings.Contains(err.Error(), "delete receiver") {
		t.Errorf("error lacks context: %v", err)
	}
}
