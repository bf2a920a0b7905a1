// Package storetest builds rows for store tests on a real database: a
// fresh migrated PostgreSQL per test (dbtest) and builders for receivers
// with channels and transmitters, locations, performers and assignments.
package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/store"
)

// Env is one test's database and the store over it.
type Env struct {
	T   testing.TB
	Ctx context.Context
	DB  *bun.DB
	St  *store.Store
}

// New gives t a fresh migrated database and a store over it.
func New(t testing.TB) *Env {
	t.Helper()
	bdb := dbtest.New(t)
	return &Env{T: t, Ctx: t.Context(), DB: bdb, St: store.New(bdb)}
}

// Int returns a pointer to v.
func Int(v int) *int { return &v }

// ID returns a pointer to v.
func ID(v int64) *int64 { return &v }

// Battery is one transmitter's battery report; nil means unknown.
type Battery struct {
	Bars, Percent *int
}

// Pct is a battery known only as a percentage.
func Pct(p int) Battery { return Battery{Percent: Int(p)} }

// Bars is a battery known only as bars.
func Bars(b int) Battery { return Battery{Bars: Int(b)} }

// Unknown is a battery the device does not know (it sent 255).
var Unknown = Battery{}

// Rx describes a receiver to build. Zero fields get working defaults: a
// Shure ULXD on a unique loopback address, active and offline, no channels.
type Rx struct {
	Vendor     string // manufacturer code, default "shure"
	Type       model.DeviceType
	Model      string
	Host       string
	Port       int
	Name       string
	Serial     string
	MAC        string
	Inactive   bool
	Online     bool
	LocationID *int64
	// Channels is how many channels (numbered from 1) to create; it is
	// raised to len(Batteries) when that is larger.
	Channels int
	// Batteries gives channel i+1 a transmitter with that battery.
	Batteries []Battery
}

// Built is a receiver with the channels and transmitters made for it.
type Built struct {
	Receiver     *model.Receiver
	Channels     []*model.Channel     // by number
	Transmitters []*model.Transmitter // by channel, for len(Batteries) channels
}

var hostSeq atomic.Int64

// Receiver inserts a receiver through the store, with its channels and
// transmitters.
func (e *Env) Receiver(spec Rx) *Built {
	e.T.Helper()
	if spec.Vendor == "" {
		spec.Vendor = model.VendorShure
	}
	if spec.Type == "" {
		spec.Type = model.TypeULXD
	}
	if spec.Host == "" {
		n := hostSeq.Add(1)
		spec.Host = fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
	}
	if spec.Port == 0 {
		spec.Port = 2202
	}
	mf, err := e.St.Manufacturers.ByCode(e.Ctx, spec.Vendor)
	if err != nil {
		e.T.Fatalf("storetest: manufacturer %q: %v", spec.Vendor, err)
	}
	rx := &model.Receiver{
		ManufacturerID: mf.ID, Model: spec.Model, DeviceType: spec.Type, Host: spec.Host, Port: spec.Port,
		Name: spec.Name, Serial: spec.Serial, MAC: spec.MAC, LocationID: spec.LocationID,
		Active: !spec.Inactive, Online: spec.Online,
	}
	if err := e.St.Receivers.Create(e.Ctx, rx); err != nil {
		e.T.Fatalf("storetest: create receiver %q: %v", spec.Name, err)
	}
	b := &Built{Receiver: rx}
	n := max(spec.Channels, len(spec.Batteries))
	for i := 1; i <= n; i++ {
		ch := &model.Channel{ReceiverID: rx.ID, Number: i, Name: fmt.Sprintf("%s ch%d", spec.Name, i)}
		if err := e.St.Channels.Upsert(e.Ctx, ch); err != nil {
			e.T.Fatalf("storetest: channel %d of %q: %v", i, spec.Name, err)
		}
		b.Channels = append(b.Channels, ch)
	}
	for i, bat := range spec.Batteries {
		tx := &model.Transmitter{
			ChannelID: b.Channels[i].ID, BatteryBars: bat.Bars, BatteryPercent: bat.Percent, Status: "OK",
		}
		if err := e.St.Transmitters.Upsert(e.Ctx, tx); err != nil {
			e.T.Fatalf("storetest: transmitter of channel %d of %q: %v", i+1, spec.Name, err)
		}
		got, err := e.St.Transmitters.ByChannel(e.Ctx, tx.ChannelID)
		if err != nil {
			e.T.Fatalf("storetest: reload transmitter: %v", err)
		}
		b.Transmitters = append(b.Transmitters, got)
	}
	return b
}

// Location inserts an active location under parent (nil: a root).
func (e *Env) Location(name string, parent *model.Location) *model.Location {
	e.T.Helper()
	l := &model.Location{Name: name, Active: true}
	if parent != nil {
		l.ParentID = &parent.ID
	}
	if err := e.St.Locations.Create(e.Ctx, l); err != nil {
		e.T.Fatalf("storetest: create location %q: %v", name, err)
	}
	return l
}

// Performer inserts an active performer.
func (e *Env) Performer(name string) *model.Performer {
	e.T.Helper()
	p := &model.Performer{Name: name, Active: true}
	if err := e.St.Performers.Create(e.Ctx, p); err != nil {
		e.T.Fatalf("storetest: create performer %q: %v", name, err)
	}
	return p
}

// Assign inserts an assignment with the default alerts.
func (e *Env) Assign(p *model.Performer, ch *model.Channel, prio model.Priority, active bool) *model.Assignment {
	e.T.Helper()
	a := &model.Assignment{
		PerformerID: p.ID, ChannelID: ch.ID, Priority: prio, Active: active, AlertFlags: model.DefaultAlerts,
	}
	if err := e.St.Assignments.Create(e.Ctx, a); err != nil {
		e.T.Fatalf("storetest: assign %q to channel %d: %v", p.Name, ch.ID, err)
	}
	return a
}

// Exec runs raw SQL (bun ? placeholders), for setting clocks in the past.
func (e *Env) Exec(query string, args ...any) {
	e.T.Helper()
	if _, err := e.DB.ExecContext(e.Ctx, query, args...); err != nil {
		e.T.Fatalf("storetest: exec %q: %v", query, err)
	}
}

// Count counts the rows of table matching where (bun ? placeholders).
func (e *Env) Count(table, where string, args ...any) int {
	e.T.Helper()
	var n int
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := e.DB.QueryRowContext(e.Ctx, q, args...).Scan(&n); err != nil {
		e.T.Fatalf("storetest: count %s: %v", table, err)
	}
	return n
}

// Ago is a duration before the database's clock, as SQL for raw updates:
// Ago(2*time.Hour) → "now() - interval '7200 seconds'".
func Ago(d time.Duration) string {
	return fmt.Sprintf("now() - interval '%d seconds'", int64(d/time.Second))
}
