package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

func ptr[T any](v T) *T { return &v }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	return store.New(dbtest.New(t))
}

// quad is the report of a four-channel Shure receiver.
func quad(host string) service.DeviceReport {
	return service.DeviceReport{
		Vendor: "shure", Host: host, Port: 2202, Model: "ULXD4Q", Name: "Stage Left", Serial: "",
		Firmware: "2.5.6", RFBand: "G50",
		Channels: []service.ChannelReport{
			{Number: 1, Name: "HH01 Fatai", FrequencyKHz: ptr(470125)},
			{Number: 2, Name: "HH02 Ana", FrequencyKHz: ptr(471250)},
			{Number: 3, Name: "BP03 Spare"},
			{Number: 4, Name: "BP04 Keys"},
		},
	}
}

func register(t *testing.T, st *store.Store, rep service.DeviceReport) *model.Receiver {
	t.Helper()
	rx, _, err := service.NewDevices(st).UpsertFromReport(context.Background(), rep)
	if err != nil {
		t.Fatalf("register %s: %v", rep.Host, err)
	}
	return rx
}

func countRows(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	n, err := st.DB().NewSelect().Table(table).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestUpsertFromReportTwiceCreatesNothingTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	devs := service.NewDevices(st)

	rx1, created, err := devs.UpsertFromReport(ctx, quad("10.0.0.5"))
	if err != nil || !created {
		t.Fatalf("first upsert: created=%v err=%v", created, err)
	}
	if rx1.DeviceType != model.TypeULXD || len(rx1.Channels) != 4 || rx1.Channels[0].Name != "HH01 Fatai" {
		t.Fatalf("first upsert stored %+v", rx1)
	}
	if rx1.Connection == nil || rx1.Connection.Status != model.ConnConnecting {
		t.Fatalf("connection record = %+v", rx1.Connection)
	}
	rep := quad("10.0.0.5")
	rep.Channels[0].Name = "HH01 Renamed"
	rx2, created, err := devs.UpsertFromReport(ctx, rep)
	if err != nil || created {
		t.Fatalf("second upsert: created=%v err=%v", created, err)
	}
	if rx2.ID != rx1.ID || rx2.Channels[0].Name != "HH01 Renamed" {
		t.Fatalf("second upsert: id %d→%d, name %q", rx1.ID, rx2.ID, rx2.Channels[0].Name)
	}
	for table, want := range map[string]int{"receivers": 1, "channels": 4, "transmitters": 4, "connections": 1} {
		if got := countRows(t, st, table); got != want {
			t.Errorf("%s rows = %d, want %d", table, got, want)
		}
	}
}

func TestUpsertMatchesBySerialThenMACThenAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	devs := service.NewDevices(st)

	rep := quad("10.0.0.5")
	rep.Serial, rep.MAC = "SN-1", "00:0e:dd:aa:bb:01"
	first := register(t, st, rep)

	// Same serial at a new address: the receiver moved, not a new one.
	moved := quad("10.0.0.99")
	moved.Serial = "SN-1"
	rx, created, err := devs.UpsertFromReport(ctx, moved)
	if err != nil || created || rx.ID != first.ID || rx.Host != "10.0.0.99" {
		t.Fatalf("by serial: id=%d created=%v host=%s err=%v", rx.ID, created, rx.Host, err)
	}
	// Same MAC, no serial, another address.
	byMAC := quad("10.0.0.100")
	byMAC.MAC = "00:0E:DD:AA:BB:01"
	rx, created, err = devs.UpsertFromReport(ctx, byMAC)
	if err != nil || created || rx.ID != first.ID {
		t.Fatalf("by MAC: id=%d created=%v err=%v", rx.ID, created, err)
	}
	if got := countRows(t, st, "receivers"); got != 1 {
		t.Fatalf("receivers = %d, want 1", got)
	}
	// A different serial at another address is another receiver.
	other := quad("10.0.0.7")
	other.Serial = "SN-2"
	if _, created, err := devs.UpsertFromReport(ctx, other); err != nil || !created {
		t.Fatalf("other receiver: created=%v err=%v", created, err)
	}
}

func TestUpsertFromReportRejectsBadInputAndChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	devs := service.NewDevices(st)
	bad := map[string]func(*service.DeviceReport){
		"vendor":   func(r *service.DeviceReport) { r.Vendor = "acme" },
		"host":     func(r *service.DeviceReport) { r.Host = "bad host<script>" },
		"port":     func(r *service.DeviceReport) { r.Port = 70000 },
		"model":    func(r *service.DeviceReport) { r.Model = "Toaster" },
		"channels": func(r *service.DeviceReport) { r.Channels = append(r.Channels, service.ChannelReport{Number: 1}) },
	}
	for field, mutate := range bad {
		rep := quad("10.0.0.5")
		mutate(&rep)
		_, _, err := devs.UpsertFromReport(ctx, rep)
		var ve *service.ValidationError
		if !errors.As(err, &ve) || ve.Fields[field] == "" {
			t.Errorf("%s: want a validation error on %s, got %v", field, field, err)
		}
	}
	if got := countRows(t, st, "receivers"); got != 0 {
		t.Fatalf("bad reports stored %d receivers", got)
	}
}

func TestUpsertDropsChannelsTheDeviceNoLongerHas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	register(t, st, quad("10.0.0.5"))
	rep := quad("10.0.0.5")
	rep.Channels = rep.Channels[:2]
	rx, _, err := service.NewDevices(st).UpsertFromReport(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rx.Channels) != 2 || countRows(t, st, "transmitters") != 2 {
		t.Fatalf("channels = %d, transmitters = %d; want 2 and 2", len(rx.Channels), countRows(t, st, "transmitters"))
	}
}

func TestUnknownBatteryIsNeverLow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	devs := service.NewDevices(st)
	rx := register(t, st, quad("10.0.0.5"))

	// Channel 1 reports 255 (transmitter off); channel 2 has 1 bar.
	if err := devs.UpdateBattery(ctx, rx.Channels[0].ID, store.BatteryUpdate{Bars: model.BarsFromDevice(255), Percent: model.PercentFromDevice(255), Minutes: model.MinutesFromDevice(65535)}); err != nil {
		t.Fatal(err)
	}
	tx, err := st.Transmitters.ByChannel(ctx, rx.Channels[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if tx.BatteryBars != nil || tx.BatteryPercent != nil || tx.BatteryMinutes != nil {
		t.Fatalf("255 stored as %v/%v/%v, want unknown", tx.BatteryBars, tx.BatteryPercent, tx.BatteryMinutes)
	}
	low, err := st.Receivers.Query().WithLowBattery(model.LowAt(100)).List(ctx)
	if err != nil || len(low) != 0 {
		t.Fatalf("unknown battery counted low: %d receivers, err %v", len(low), err)
	}
	lowTx, err := st.Transmitters.Query().WithLowBattery(model.LowAt(100)).List(ctx)
	if err != nil || len(lowTx) != 0 {
		t.Fatalf("unknown battery counted low: %d transmitters, err %v", len(lowTx), err)
	}

	if err := devs.UpdateBattery(ctx, rx.Channels[1].ID, store.BatteryUpdate{Bars: model.BarsFromDevice(1)}); err != nil {
		t.Fatal(err)
	}
	low, err = st.Receivers.Query().WithLowBattery(model.LowAt(25)).List(ctx)
	if err != nil || len(low) != 1 || low[0].ID != rx.ID {
		t.Fatalf("1 bar not low at 25%%: %v, %v", low, err)
	}
}

func TestUpdateBatteryRefusesOutOfRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	devs := service.NewDevices(st)
	rx := register(t, st, quad("10.0.0.5"))
	ch := rx.Channels[0].ID
	if err := devs.UpdateBattery(ctx, ch, store.BatteryUpdate{Bars: ptr(4)}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []store.BatteryUpdate{{Bars: ptr(255)}, {Bars: ptr(-1)}, {Percent: ptr(101)}, {Minutes: ptr(-5)}} {
		if err := devs.UpdateBattery(ctx, ch, b); !service.IsValidation(err) {
			t.Errorf("UpdateBattery(%+v) = %v, want a validation error", b, err)
		}
	}
	tx, _ := st.Transmitters.ByChannel(ctx, ch)
	if tx.BatteryBars == nil || *tx.BatteryBars != 4 {
		t.Fatalf("a refused update changed bars to %v", tx.BatteryBars)
	}
	if err := devs.UpdateBattery(ctx, 999999, store.BatteryUpdate{Bars: ptr(3)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing channel: %v", err)
	}
}

func TestSyncStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	devs := service.NewDevices(st)
	rx := register(t, st, quad("10.0.0.5"))

	changed, err := devs.SyncStatus(ctx, rx.ID, true, "")
	if err != nil || !changed {
		t.Fatalf("online: changed=%v err=%v", changed, err)
	}
	got, _ := st.Receivers.Get(ctx, rx.ID)
	if !got.Online || got.Status != model.LifecycleOnline || got.LastSeenAt == nil {
		t.Fatalf("after online: %+v", got)
	}
	if c := got.Connection; c.Status != model.ConnConnected || c.ConnectedAt == nil || c.LastMessageAt == nil {
		t.Fatalf("connection after online: %+v", c)
	}
	if changed, _ := devs.SyncStatus(ctx, rx.ID, true, ""); changed {
		t.Fatal("online twice reported a change")
	}

	changed, err = devs.SyncStatus(ctx, rx.ID, false, "read tcp: connection reset")
	if err != nil || !changed {
		t.Fatalf("offline: changed=%v err=%v", changed, err)
	}
	got, _ = st.Receivers.Get(ctx, rx.ID)
	c := got.Connection
	if got.Online || got.Status != model.LifecycleOffline || c.Status != model.ConnError ||
		c.ErrorCount != 1 || !strings.Contains(c.ErrorMessage, "reset") || c.DisconnectedAt == nil {
		t.Fatalf("after offline: rx=%+v conn=%+v", got, c)
	}

	// Maintenance survives status changes.
	if err := devs.SetLifecycle(ctx, rx.ID, model.LifecycleMaintenance); err != nil {
		t.Fatal(err)
	}
	devs.SyncStatus(ctx, rx.ID, true, "")
	got, _ = st.Receivers.Get(ctx, rx.ID)
	if got.Status != model.LifecycleMaintenance || !got.Online {
		t.Fatalf("maintenance lost: %s online=%v", got.Status, got.Online)
	}
	if err := devs.SetLifecycle(ctx, rx.ID, model.LifecycleOnline); !service.IsValidation(err) {
		t.Fatalf("setting online by hand: %v", err)
	}
	if _, err := devs.SyncStatus(ctx, 424242, true, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing receiver: %v", err)
	}
}

func TestMarkInactiveAndReactivate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	devs := service.NewDevices(st)
	conns := service.NewConnections(st)
	a := register(t, st, quad("10.0.0.5"))
	b := register(t, st, quad("10.0.0.6"))
	devs.SyncStatus(ctx, a.ID, true, "")
	conns.RecordError(ctx, b.ID, errors.New("timeout"))

	n, err := devs.MarkInactive(ctx, a.ID, b.ID)
	if err != nil || n != 2 {
		t.Fatalf("mark inactive: n=%d err=%v", n, err)
	}
	if n, _ := devs.MarkInactive(ctx, a.ID); n != 0 {
		t.Fatalf("marking an inactive receiver again changed %d", n)
	}
	got, _ := st.Receivers.Get(ctx, a.ID)
	if got.Active || got.Online || got.Connection.Status != model.ConnStopped || got.Connection.DisconnectedAt == nil {
		t.Fatalf("inactive receiver: active=%v online=%v conn=%+v", got.Active, got.Online, got.Connection)
	}
	inactive, _ := st.Receivers.Query().Inactive().Count(ctx)
	if inactive != 2 {
		t.Fatalf("inactive count = %d", inactive)
	}

	n, err = devs.Reactivate(ctx, a.ID, b.ID)
	if err != nil || n != 2 {
		t.Fatalf("reactivate: n=%d err=%v", n, err)
	}
	got, _ = st.Receivers.Get(ctx, b.ID)
	if !got.Active || got.Connection.Status != model.ConnConnecting || got.Connection.ErrorCount != 0 {
		t.Fatalf("reactivated: active=%v conn=%+v", got.Active, got.Connection)
	}
}

func TestSecondActiveAssignmentIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	asg := service.NewAssignments(st)
	rx := register(t, st, quad("10.0.0.5"))
	ana := &model.Performer{Name: "Ana", Active: true}
	bo := &model.Performer{Name: "Bo", Active: true}
	for _, p := range []*model.Performer{ana, bo} {
		if err := st.Performers.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	ch := rx.Channels[0].ID
	first, err := asg.Create(ctx, service.AssignmentInput{PerformerID: ana.ID, ChannelID: ch, Priority: model.PriorityHigh})
	if err != nil {
		t.Fatal(err)
	}
	if !first.AlertFlags.BatteryLow || first.AlertFlags.AudioLow {
		t.Fatalf("default alerts not applied: %+v", first.AlertFlags)
	}

	_, err = asg.Create(ctx, service.AssignmentInput{PerformerID: bo.ID, ChannelID: ch})
	if !errors.Is(err, service.ErrAlreadyAssigned) {
		t.Fatalf("second active assignment: %v, want ErrAlreadyAssigned", err)
	}
	list, _ := st.Assignments.Query().ByChannel(ch).List(ctx)
	if len(list) != 1 || list[0].PerformerID != ana.ID || list[0].Priority != model.PriorityHigh {
		t.Fatalf("after refusal the channel holds %+v", list)
	}

	// Bo may go on another channel; moving him onto Ana's is refused.
	second, err := asg.Create(ctx, service.AssignmentInput{PerformerID: bo.ID, ChannelID: rx.Channels[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asg.Update(ctx, second.ID, service.AssignmentPatch{ChannelID: &ch}); !errors.Is(err, service.ErrAlreadyAssigned) {
		t.Fatalf("move onto taken channel: %v", err)
	}
	// Once Ana's is inactive the move works.
	if _, err := asg.Update(ctx, first.ID, service.AssignmentPatch{Active: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	moved, err := asg.Update(ctx, second.ID, service.AssignmentPatch{ChannelID: &ch, Priority: ptr(model.PriorityCritical)})
	if err != nil || moved.ChannelID != ch || moved.Priority != model.PriorityCritical {
		t.Fatalf("move after release: %+v, %v", moved, err)
	}
}

func TestAssignmentValidationAndBulkFlags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	asg := service.NewAssignments(st)
	rx := register(t, st, quad("10.0.0.5"))
	p := &model.Performer{Name: "Cy", Active: true}
	st.Performers.Create(ctx, p)

	if _, err := asg.Create(ctx, service.AssignmentInput{PerformerID: p.ID, ChannelID: rx.Channels[0].ID, Priority: "urgent"}); !service.IsValidation(err) {
		t.Fatalf("bad priority: %v", err)
	}
	if _, err := asg.Create(ctx, service.AssignmentInput{PerformerID: 9999, ChannelID: rx.Channels[0].ID}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing performer: %v", err)
	}
	var ids []int64
	for _, ch := range rx.Channels[:3] {
		a, err := asg.Create(ctx, service.AssignmentInput{PerformerID: p.ID, ChannelID: ch.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	off := model.AlertFlags{}
	n, err := asg.SetAlertFlags(ctx, off, ids...)
	if err != nil || n != 3 {
		t.Fatalf("bulk flags: n=%d err=%v", n, err)
	}
	with, _ := st.Assignments.Query().WithAlerts().List(ctx)
	if len(with) != 0 {
		t.Fatalf("%d assignments still alert", len(with))
	}
	// A missing id makes the whole bulk change fail and change nothing.
	if _, err := asg.SetAlertFlags(ctx, model.DefaultAlerts, ids[0], 987654); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bulk with missing id: %v", err)
	}
	with, _ = st.Assignments.Query().WithAlerts().List(ctx)
	if len(with) != 0 {
		t.Fatal("a failed bulk change still changed rows")
	}
	if err := asg.Delete(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := asg.Delete(ctx, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestDeleteLocationWithDevicesIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	locs := service.NewLocations(st)
	hall, err := locs.Create(ctx, service.LocationInput{Name: "Main Hall"})
	if err != nil {
		t.Fatal(err)
	}
	wings, err := locs.Create(ctx, service.LocationInput{Name: "Stage Left Wings", ParentID: &hall.ID})
	if err != nil {
		t.Fatal(err)
	}
	rx := register(t, st, quad("10.0.0.5"))
	if n, err := locs.AssignDevices(ctx, wings.ID, rx.ID); err != nil || n != 1 {
		t.Fatalf("assign: %d %v", n, err)
	}

	err = locs.Delete(ctx, wings.ID)
	if !errors.Is(err, service.ErrLocationInUse) || !strings.Contains(err.Error(), "Stage Left Wings") || !strings.Contains(err.Error(), "1 receiver") {
		t.Fatalf("delete with device: %v", err)
	}
	err = locs.Delete(ctx, hall.ID)
	if !errors.Is(err, service.ErrLocationInUse) || !strings.Contains(err.Error(), "contains 1 location") {
		t.Fatalf("delete with child: %v", err)
	}
	if got := countRows(t, st, "locations"); got != 2 {
		t.Fatalf("a refused delete removed rows: %d left", got)
	}
	counts, _ := locs.ListWithCounts(ctx)
	byName := map[string]int{}
	for _, l := range counts {
		byName[l.Name] = l.DeviceCount
	}
	if byName["Main Hall"] != 1 || byName["Stage Left Wings"] != 1 {
		t.Fatalf("counts = %v", byName)
	}

	if n, err := locs.UnassignDevices(ctx, rx.ID); err != nil || n != 1 {
		t.Fatalf("unassign: %d %v", n, err)
	}
	if err := locs.Delete(ctx, wings.ID); err != nil {
		t.Fatalf("delete emptied location: %v", err)
	}
	if _, err := locs.AssignDevices(ctx, hall.ID, rx.ID, 55555); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("assign missing receiver: %v", err)
	}
	got, _ := st.Receivers.Get(ctx, rx.ID)
	if got.LocationID != nil {
		t.Fatal("failed bulk assign still moved a receiver")
	}
}

func TestLocationRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	locs := service.NewLocations(st)
	if _, err := locs.Create(ctx, service.LocationInput{Name: "   "}); !service.IsValidation(err) {
		t.Fatalf("blank name: %v", err)
	}
	if _, err := locs.Create(ctx, service.LocationInput{Name: "Orphan", ParentID: ptr(int64(777))}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing parent: %v", err)
	}
	a, _ := locs.Create(ctx, service.LocationInput{Name: "Arena"})
	b, _ := locs.Create(ctx, service.LocationInput{Name: "Floor", ParentID: &a.ID})
	c, _ := locs.Create(ctx, service.LocationInput{Name: "Pit", ParentID: &b.ID})
	if _, err := locs.Update(ctx, a.ID, service.LocationInput{Name: "Arena", ParentID: &c.ID}); !service.IsValidation(err) {
		t.Fatalf("loop through grandchild: %v", err)
	}
	if _, err := locs.Update(ctx, a.ID, service.LocationInput{Name: "Arena", ParentID: &a.ID}); !service.IsValidation(err) {
		t.Fatalf("own parent: %v", err)
	}
	if _, err := locs.Create(ctx, service.LocationInput{Name: "floor", ParentID: &a.ID}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate sibling: %v", err)
	}
	up, err := locs.Update(ctx, c.ID, service.LocationInput{Name: "Orchestra Pit", ParentID: &a.ID, Description: "below stage"})
	if err != nil || up.Name != "Orchestra Pit" || *up.ParentID != a.ID {
		t.Fatalf("update: %+v %v", up, err)
	}
}

func TestConnectionService(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	devs := service.NewDevices(st)
	conns := service.NewConnections(st)
	a := register(t, st, quad("10.0.0.5"))
	b := register(t, st, quad("10.0.0.6"))
	c := register(t, st, quad("10.0.0.7"))

	for _, id := range []int64{a.ID, b.ID, c.ID} {
		if err := conns.Heartbeat(ctx, id); err != nil {
			t.Fatal(err)
		}
		devs.SyncStatus(ctx, id, true, "")
	}
	if err := conns.RecordError(ctx, b.ID, errors.New("dial tcp 10.0.0.6:2202: i/o timeout")); err != nil {
		t.Fatal(err)
	}
	conns.RecordReconnect(ctx, b.ID)
	conns.RecordReconnect(ctx, b.ID)
	bc, _ := st.Connections.ByReceiver(ctx, b.ID)
	if bc.Status != model.ConnError || bc.ErrorCount != 1 || bc.ReconnectAttempts != 2 || bc.LastErrorAt == nil {
		t.Fatalf("after error: %+v", bc)
	}
	// c went silent two minutes ago.
	if _, err := st.DB().NewRaw("UPDATE connections SET last_message_at = now() - interval '2 minutes' WHERE receiver_id = ?", c.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	unhealthy, err := conns.HealthCheck(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for _, u := range unhealthy {
		got[u.ReceiverID] = true
	}
	if len(got) != 2 || !got[b.ID] || !got[c.ID] {
		t.Fatalf("unhealthy = %v, want b and c", got)
	}

	stale, err := conns.CleanupStale(ctx, 30*time.Second)
	if err != nil || len(stale) != 1 || stale[0] != c.ID {
		t.Fatalf("cleanup: %v %v", stale, err)
	}
	cr, _ := st.Receivers.Get(ctx, c.ID)
	if cr.Online || cr.Status != model.LifecycleOffline || cr.Connection.Status != model.ConnDisconnected {
		t.Fatalf("stale receiver: online=%v status=%s conn=%s", cr.Online, cr.Status, cr.Connection.Status)
	}
	ar, _ := st.Receivers.Get(ctx, a.ID)
	if !ar.Online {
		t.Fatal("cleanup touched a healthy receiver")
	}

	stats, err := conns.UptimeStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Total != 3 || stats.ByStatus[model.ConnConnected] != 1 || stats.ByStatus[model.ConnError] != 1 ||
		stats.ByStatus[model.ConnDisconnected] != 1 || stats.TotalErrors != 1 {
		t.Fatalf("stats = %+v", stats)
	}

	if n, err := conns.ResetErrors(ctx, b.ID); err != nil || n != 1 {
		t.Fatalf("reset: %d %v", n, err)
	}
	bc, _ = st.Connections.ByReceiver(ctx, b.ID)
	if bc.ErrorCount != 0 || bc.ErrorMessage != "" || bc.Status != model.ConnConnecting {
		t.Fatalf("after reset: %+v", bc)
	}
	if err := conns.RecordError(ctx, 31337, errors.New("x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("error for missing receiver: %v", err)
	}
}

func TestDiscoveryTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	disc := service.NewDiscovery(st)

	cases := []struct {
		in    service.TaskInput
		field string
	}{
		{service.TaskInput{Name: "Big", Kind: model.DiscoveryCIDR, Target: "10.0.0.0/21"}, "target"},
		{service.TaskInput{Name: "Typo", Kind: model.DiscoveryCIDR, Target: "10.0.0.0/33"}, "target"},
		{service.TaskInput{Name: "NoVendor", Kind: model.DiscoveryManual, Target: "10.0.0.5"}, "vendor"},
		{service.TaskInput{Name: "BadHost", Kind: model.DiscoveryManual, Target: "x y:2202", Vendor: "shure"}, "target"},
		{service.TaskInput{Name: "", Kind: model.DiscoverySLP}, "name"},
		{service.TaskInput{Name: "Kind", Kind: "nmap"}, "kind"},
		{service.TaskInput{Name: "Fast", Kind: model.DiscoverySLP, IntervalSeconds: 5}, "interval"},
	}
	for _, c := range cases {
		_, err := disc.CreateTask(ctx, c.in)
		var ve *service.ValidationError
		if !errors.As(err, &ve) || ve.Fields[c.field] == "" {
			t.Errorf("%s: want validation error on %s, got %v", c.in.Name, c.field, err)
		}
	}
	if got := countRows(t, st, "discovery_tasks"); got != 0 {
		t.Fatalf("invalid tasks stored: %d", got)
	}
	scan, err := disc.CreateTask(ctx, service.TaskInput{Name: "Stage rack", Kind: model.DiscoveryCIDR, Target: "10.0.0.0/22", Vendor: "shure"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := disc.CreateTask(ctx, service.TaskInput{Name: "FOH", Kind: model.DiscoveryManual, Target: "10.0.0.9:2202", Vendor: "shure"}); err != nil {
		t.Fatal(err)
	}
	due, _ := st.DiscoveryTasks.Due(ctx, time.Now())
	if len(due) != 2 {
		t.Fatalf("due = %d, want 2 new tasks", len(due))
	}
	if _, err := disc.StartRun(ctx, scan.ID); err != nil {
		t.Fatal(err)
	}
	due, _ = st.DiscoveryTasks.Due(ctx, time.Now())
	if len(due) != 1 {
		t.Fatalf("a running task is due: %d", len(due))
	}
	if err := disc.FinishRun(ctx, scan.ID, 1024, 2, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := st.DiscoveryTasks.Get(ctx, scan.ID)
	if got.Status != model.TaskSuccess || got.Scanned != 1024 || got.Found != 2 {
		t.Fatalf("after run: %+v", got)
	}
	due, _ = st.DiscoveryTasks.Due(ctx, time.Now().Add(2*time.Hour))
	if len(due) != 2 {
		t.Fatalf("two hours later due = %d, want 2", len(due))
	}
}

func TestDiscoveredDevicesDeduplicateAndApprove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	disc := service.NewDiscovery(st)

	existing := quad("10.0.0.5")
	existing.Serial, existing.MAC = "SN-9", "00:0e:dd:00:00:09"
	rx := register(t, st, existing)

	dups := []service.Found{
		{Vendor: "shure", Host: "10.0.1.1", Port: 2202, Serial: "SN-9"},                  // by serial
		{Vendor: "shure", Host: "10.0.1.2", Port: 2202, MAC: "00:0E:DD:00:00:09"},        // by MAC
		{Vendor: "shure", Host: "10.0.0.5", Port: 2202},                                  // by address
		{Vendor: "shure", Host: "10.0.0.5", Port: 2202, Serial: "SN-9", Model: "ULXD4Q"}, // seen again
	}
	for _, f := range dups {
		d, err := disc.RecordFound(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != model.DiscoveredDuplicate || d.ReceiverID == nil || *d.ReceiverID != rx.ID {
			t.Errorf("%+v: state %s receiver %v, want duplicate of %d", f, d.State, d.ReceiverID, rx.ID)
		}
	}
	if got := countRows(t, st, "discovered_devices"); got != 3 {
		t.Fatalf("discovered rows = %d, want 3 (address seen twice)", got)
	}

	fresh, err := disc.RecordFound(ctx, service.Found{Vendor: "shure", Host: "10.0.2.1", Port: 2202, Model: "AD4Q", Name: "Rack B", Channels: 4, Serial: "SN-10"})
	if err != nil || fresh.State != model.DiscoveredNew {
		t.Fatalf("fresh: %+v %v", fresh, err)
	}
	if _, err := disc.Approve(ctx, mustDup(t, st), nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("approve duplicate: %v", err)
	}
	made, err := disc.Approve(ctx, fresh.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if made.DeviceType != model.TypeAXTD || made.Serial != "SN-10" || len(made.Channels) != 4 || made.Name != "Rack B" {
		t.Fatalf("approved receiver: %+v", made)
	}
	if _, err := disc.Approve(ctx, fresh.ID, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("approve twice: %v", err)
	}
	if got := countRows(t, st, "receivers"); got != 2 {
		t.Fatalf("receivers = %d, want 2", got)
	}

	junk, _ := disc.RecordFound(ctx, service.Found{Vendor: "sennheiser", Host: "10.0.3.1", Port: 45, Model: "EW-DX EM 2", Channels: 2})
	if err := disc.Reject(ctx, junk.ID); err != nil {
		t.Fatal(err)
	}
	again, _ := disc.RecordFound(ctx, service.Found{Vendor: "sennheiser", Host: "10.0.3.1", Port: 45, Model: "EW-DX EM 2", Channels: 2})
	if again.State != model.DiscoveredRejected {
		t.Fatalf("a rejected device seen again became %s", again.State)
	}
	if _, err := disc.RecordFound(ctx, service.Found{Vendor: "acme", Host: "10.0.3.2", Port: 45}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown vendor: %v", err)
	}
}

// mustDup returns the id of a discovered duplicate.
func mustDup(t *testing.T, st *store.Store) int64 {
	t.Helper()
	list, err := st.DiscoveredDevices.List(context.Background(), model.DiscoveredDuplicate)
	if err != nil || len(list) == 0 {
		t.Fatalf("no duplicate: %v", err)
	}
	return list[0].ID
}

func TestParseHostPort(t *testing.T) {
	cases := []struct {
		in   string
		host string
		port int
		ok   bool
	}{
		{"10.0.0.5", "10.0.0.5", 2202, true},
		{"10.0.0.5:2203", "10.0.0.5", 2203, true},
		{"rx-1.stage.local", "rx-1.stage.local", 2202, true},
		{"[::1]:45", "::1", 45, true},
		{"::1", "::1", 2202, true},
		{"10.0.0.5:0", "", 0, false},
		{"10.0.0.5:abc", "", 0, false},
		{"", "", 0, false},
		{"bad host", "", 0, false},
	}
	for _, c := range cases {
		h, p, err := service.ParseHostPort(c.in, 2202)
		if (err == nil) != c.ok || h != c.host || p != c.port {
			t.Errorf("ParseHostPort(%q) = %q, %d, %v", c.in, h, p, err)
		}
	}
}

// Alert limits are checked in one place whichever way they come: a value
// out of range or a critical limit above the low one is a field error and
// stores nothing; a patch changes only the limits it names, checked with
// the ones stored.
func TestAssignmentAlertLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	asg := service.NewAssignments(st)
	rx := register(t, st, quad("10.0.0.6"))
	p := &model.Performer{Name: "Di", Active: true}
	if err := st.Performers.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	fields := func(err error) map[string]string {
		var ve *service.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("want a validation error, got %v", err)
		}
		return ve.Fields
	}
	in := service.AssignmentInput{PerformerID: p.ID, ChannelID: rx.Channels[0].ID,
		Limits: model.AlertLimits{BatteryLowPercent: ptr(30), BatteryCriticalPercent: ptr(40), RFLossSeconds: ptr(0)}}
	_, err := asg.Create(ctx, in)
	f := fields(err)
	if f[model.LimitBatteryCriticalPercent] == "" || f[model.LimitRFLossSeconds] == "" || len(f) != 2 {
		t.Errorf("create with bad limits: %v", f)
	}
	if n, _ := st.Assignments.Query().Count(ctx); n != 0 {
		t.Fatalf("a refused create stored %d assignments", n)
	}

	in.Limits = model.AlertLimits{BatteryLowPercent: ptr(60), RFLossSeconds: ptr(5), AudioLowDBFS: ptr(-40.0)}
	a, err := asg.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// Critical 70 % against the stored low 60 %: refused, nothing changed.
	_, err = asg.Update(ctx, a.ID, service.AssignmentPatch{Limits: &model.AlertLimits{BatteryCriticalPercent: ptr(70)},
		LimitFields: []string{model.LimitBatteryCriticalPercent}})
	if msg := fields(err)[model.LimitBatteryCriticalPercent]; !strings.Contains(msg, "60") {
		t.Errorf("critical above the stored low: %q", msg)
	}
	if got, _ := st.Assignments.Get(ctx, a.ID); got.BatteryCriticalPercent != nil {
		t.Errorf("a refused patch stored critical %d %%", *got.BatteryCriticalPercent)
	}
	// Critical 20 % and RF loss cleared; the rest stays.
	_, err = asg.Update(ctx, a.ID, service.AssignmentPatch{Limits: &model.AlertLimits{BatteryCriticalPercent: ptr(20)},
		LimitFields: []string{model.LimitBatteryCriticalPercent, model.LimitRFLossSeconds}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Assignments.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l := got.AlertLimits; service.LimitNames(l) != "battery_low_percent=60 battery_critical_percent=20 audio_low_dbfs=-40" {
		t.Errorf("stored limits %s", service.LimitNames(l))
	}
	// Every limit replaced: all back to the default.
	if _, err := asg.Update(ctx, a.ID, service.AssignmentPatch{Limits: &model.AlertLimits{}}); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.Assignments.Get(ctx, a.ID); got.AlertLimits != (model.AlertLimits{}) {
		t.Errorf("limits after clearing all: %s", service.LimitNames(got.AlertLimits))
	}
}
