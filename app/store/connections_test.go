package store_test

import (
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

// connState sets a connection's columns directly; times are ages before the
// database clock (negative: NULL).
type connState struct {
	name        string
	vendor      string
	status      model.ConnStatus
	createdAgo  time.Duration
	connAgo     time.Duration
	msgAgo      time.Duration
	errorCount  int
	unhealthy1m bool // expected under Unhealthy(time.Minute)
}

func ago(d time.Duration) string {
	if d < 0 {
		return "NULL"
	}
	return storetest.Ago(d)
}

func makeConns(t *testing.T, e *storetest.Env, states []connState) map[int64]string {
	t.Helper()
	names := map[int64]string{}
	for _, s := range states {
		typ := model.TypeULXD
		if s.vendor == "sennheiser" {
			typ = model.TypeEWDX
		}
		r := e.Receiver(storetest.Rx{Name: s.name, Vendor: s.vendor, Type: typ}).Receiver
		_, err := e.St.Connections.Ensure(e.Ctx, r.ID, s.status)
		must(t, err)
		e.Exec("UPDATE connections SET created_at = "+ago(s.createdAgo)+", connected_at = "+ago(s.connAgo)+
			", last_message_at = "+ago(s.msgAgo)+", error_count = ? WHERE receiver_id = ?", s.errorCount, r.ID)
		names[r.ID] = s.name
	}
	return names
}

func connNames(names map[int64]string, list []*model.Connection) []string {
	var out []string
	for _, c := range list {
		out = append(out, names[c.ReceiverID])
	}
	return out
}

func TestConnectionQueryUnhealthy(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	const never = -1
	h := time.Hour
	states := []connState{
		{"error-fresh", "shure", model.ConnError, 0, never, 0, 3, true},
		{"disconnected-fresh", "sennheiser", model.ConnDisconnected, 0, 0, 0, 1, true},
		{"connected-old-msg", "shure", model.ConnConnected, h, h, 5 * time.Minute, 0, true},
		{"connected-fresh-msg", "shure", model.ConnConnected, h, h, 5 * time.Second, 0, false},
		{"connected-no-msg-old", "sennheiser", model.ConnConnected, h, 5 * time.Minute, never, 0, true},
		{"connected-no-msg-new", "shure", model.ConnConnected, h, 5 * time.Second, never, 0, false},
		{"stopped-old", "shure", model.ConnStopped, h, h, h, 9, false},
		{"stopped-never", "sennheiser", model.ConnStopped, h, never, never, 0, false},
		{"connecting-new", "shure", model.ConnConnecting, 5 * time.Second, never, never, 0, false},
		{"connecting-old", "sennheiser", model.ConnConnecting, 5 * time.Minute, never, never, 0, true},
		{"connecting-old-msg", "shure", model.ConnConnecting, h, never, 10 * time.Minute, 0, true},
	}
	names := makeConns(t, e, states)

	type q = *store.ConnectionQuery
	cases := []struct {
		name  string
		build func(q) q
		want  []string
	}{
		{"unhealthy 1m", func(q q) q { return q.Unhealthy(time.Minute) }, []string{
			"error-fresh", "disconnected-fresh", "connected-old-msg", "connected-no-msg-old", "connecting-old", "connecting-old-msg"}},
		{"unhealthy 7m: error and disconnected always count", func(q q) q { return q.Unhealthy(7 * time.Minute) }, []string{
			"error-fresh", "disconnected-fresh", "connecting-old-msg"}},
		{"unhealthy 2h", func(q q) q { return q.Unhealthy(2 * time.Hour) }, []string{"error-fresh", "disconnected-fresh"}},
		{"unhealthy 1s: fresh ones now too, stopped never", func(q q) q { return q.Unhealthy(time.Second) }, []string{
			"error-fresh", "disconnected-fresh", "connected-old-msg", "connected-fresh-msg", "connected-no-msg-old",
			"connected-no-msg-new", "connecting-new", "connecting-old", "connecting-old-msg"}},
		{"unhealthy sennheiser", func(q q) q { return q.Unhealthy(time.Minute).ByManufacturer("sennheiser") }, []string{
			"disconnected-fresh", "connected-no-msg-old", "connecting-old"}},
		{"sennheiser", func(q q) q { return q.ByManufacturer("sennheiser") }, []string{
			"disconnected-fresh", "connected-no-msg-old", "stopped-never", "connecting-old"}},
		{"unknown vendor", func(q q) q { return q.ByManufacturer("acme") }, nil},
		{"status connected", func(q q) q { return q.Status(model.ConnConnected) }, []string{
			"connected-old-msg", "connected-fresh-msg", "connected-no-msg-old", "connected-no-msg-new"}},
		{"status stopped", func(q q) q { return q.Status(model.ConnStopped) }, []string{"stopped-old", "stopped-never"}},
		{"connected and unhealthy", func(q q) q { return q.Status(model.ConnConnected).Unhealthy(time.Minute) }, []string{
			"connected-old-msg", "connected-no-msg-old"}},
		{"shure connecting unhealthy", func(q q) q {
			return q.ByManufacturer("shure").Status(model.ConnConnecting).Unhealthy(time.Minute)
		}, []string{"connecting-old-msg"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, err := c.build(e.St.Connections.Query()).List(e.Ctx)
			must(t, err)
			for _, cn := range list {
				if cn.Receiver == nil || cn.Receiver.ID != cn.ReceiverID {
					t.Errorf("receiver not loaded for %d", cn.ReceiverID)
				}
			}
			sameStrings(t, "List", connNames(names, list), c.want)
		})
	}
	// The table's expectations agree with the fixture's flags.
	var flagged []string
	for _, s := range states {
		if s.unhealthy1m {
			flagged = append(flagged, s.name)
		}
	}
	sameStrings(t, "fixture flags", flagged, cases[0].want)
}

func TestConnectionsEnsureAndUpdate(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx"}).Receiver

	c1, err := e.St.Connections.Ensure(e.Ctx, r.ID, model.ConnConnecting)
	must(t, err)
	if c1.ID == 0 || c1.ReceiverID != r.ID || c1.Status != model.ConnConnecting || c1.ErrorCount != 0 || c1.ConnectedAt != nil {
		t.Fatalf("Ensure = %+v", c1)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	c1.Status = model.ConnConnected
	c1.ConnectedAt = &now
	c1.LastMessageAt = &now
	must(t, e.St.Connections.Update(e.Ctx, c1, "status", "connected_at", "last_message_at"))

	c2, err := e.St.Connections.Ensure(e.Ctx, r.ID, model.ConnError)
	must(t, err)
	if c2.ID != c1.ID || c2.Status != model.ConnConnected || c2.ConnectedAt == nil || !c2.ConnectedAt.Equal(now) {
		t.Errorf("second Ensure changed the record: %+v", c2)
	}
	if n := e.Count("connections", "receiver_id = ?", r.ID); n != 1 {
		t.Errorf("connections = %d, want 1", n)
	}

	// Update with all columns, and the error mapping of a bad status.
	c2.ErrorMessage = "timeout"
	c2.ErrorCount = 2
	must(t, e.St.Connections.Update(e.Ctx, c2))
	got, err := e.St.Connections.ByReceiver(e.Ctx, r.ID)
	must(t, err)
	if got.ErrorMessage != "timeout" || got.ErrorCount != 2 || got.Status != model.ConnConnected {
		t.Errorf("after Update: %+v", got)
	}
	c2.Status = "sleeping"
	mustErr(t, e.St.Connections.Update(e.Ctx, c2, "status"), store.ErrInvalid)
	c2.ErrorCount = -1
	mustErr(t, e.St.Connections.Update(e.Ctx, c2, "error_count"), store.ErrInvalid)
	mustErr(t, e.St.Connections.Update(e.Ctx, &model.Connection{ReceiverID: r.ID + 100, Status: model.ConnError}, "status"), store.ErrNotFound)

	_, err = e.St.Connections.ByReceiver(e.Ctx, r.ID+100)
	mustErr(t, err, store.ErrNotFound)
	_, err = e.St.Connections.Ensure(e.Ctx, r.ID+100, model.ConnConnecting)
	mustErr(t, err, store.ErrConflict)
	// A bad status is refused even when the record exists (the CHECK runs
	// before the conflict), and the record stays as it was.
	_, err = e.St.Connections.Ensure(e.Ctx, r.ID, "bogus")
	mustErr(t, err, store.ErrInvalid)
	got, err = e.St.Connections.ByReceiver(e.Ctx, r.ID)
	must(t, err)
	if got.Status != model.ConnConnected || got.ErrorCount != 2 {
		t.Errorf("failed Ensure changed the record: %+v", got)
	}
}

func TestConnectionsResetErrors(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	var rs []*model.Receiver
	for _, st := range []model.ConnStatus{model.ConnError, model.ConnDisconnected, model.ConnError, model.ConnConnected} {
		r := e.Receiver(storetest.Rx{}).Receiver
		_, err := e.St.Connections.Ensure(e.Ctx, r.ID, st)
		must(t, err)
		e.Exec("UPDATE connections SET error_count = 5, error_message = 'boom', reconnect_attempts = 3 WHERE receiver_id = ?", r.ID)
		rs = append(rs, r)
	}
	n, err := e.St.Connections.ResetErrors(e.Ctx, rs[0].ID, rs[1].ID, rs[3].ID, rs[3].ID+100)
	must(t, err)
	if n != 3 {
		t.Errorf("ResetErrors = %d, want 3", n)
	}
	want := []struct {
		status  model.ConnStatus
		errors  int
		msg     string
		retries int
	}{
		{model.ConnConnecting, 0, "", 0},   // error goes back to connecting
		{model.ConnDisconnected, 0, "", 0}, // other states stay
		{model.ConnError, 5, "boom", 3},    // not named: untouched
		{model.ConnConnected, 0, "", 0},
	}
	for i, w := range want {
		got, err := e.St.Connections.ByReceiver(e.Ctx, rs[i].ID)
		must(t, err)
		if got.Status != w.status || got.ErrorCount != w.errors || got.ErrorMessage != w.msg || got.ReconnectAttempts != w.retries {
			t.Errorf("conn %d = %s/%d/%q/%d, want %+v", i, got.Status, got.ErrorCount, got.ErrorMessage, got.ReconnectAttempts, w)
		}
	}
	n, err = e.St.Connections.ResetErrors(e.Ctx)
	must(t, err)
	if n != 0 {
		t.Errorf("ResetErrors() = %d", n)
	}
}

func TestConnectionsSetStatus(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	mk := func(st model.ConnStatus, disconnectedAgo time.Duration) int64 {
		r := e.Receiver(storetest.Rx{}).Receiver
		_, err := e.St.Connections.Ensure(e.Ctx, r.ID, st)
		must(t, err)
		e.Exec("UPDATE connections SET disconnected_at = "+ago(disconnectedAgo)+" WHERE receiver_id = ?", r.ID)
		return r.ID
	}
	cases := []struct {
		name      string
		from      model.ConnStatus
		discAgo   time.Duration // -1: NULL
		to        model.ConnStatus
		wantStamp string // "now", "old" or "null"
	}{
		{"connected → disconnected stamps", model.ConnConnected, -1, model.ConnDisconnected, "now"},
		{"connected → error stamps", model.ConnConnected, -1, model.ConnError, "now"},
		{"connected → stopped stamps over an old stamp", model.ConnConnected, time.Hour, model.ConnStopped, "now"},
		{"connected → connected keeps null", model.ConnConnected, -1, model.ConnConnected, "null"},
		{"connecting → error keeps null", model.ConnConnecting, -1, model.ConnError, "null"},
		{"disconnected → stopped keeps old", model.ConnDisconnected, time.Hour, model.ConnStopped, "old"},
		{"disconnected → connected keeps old", model.ConnDisconnected, time.Hour, model.ConnConnected, "old"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := mk(c.from, c.discAgo)
			n, err := e.St.Connections.SetStatus(e.Ctx, c.to, id)
			must(t, err)
			if n != 1 {
				t.Errorf("SetStatus = %d, want 1", n)
			}
			got, err := e.St.Connections.ByReceiver(e.Ctx, id)
			must(t, err)
			if got.Status != c.to {
				t.Errorf("status = %s, want %s", got.Status, c.to)
			}
			switch c.wantStamp {
			case "now":
				if !recent(got.DisconnectedAt, time.Minute) {
					t.Errorf("disconnected_at = %v, want now", got.DisconnectedAt)
				}
			case "old":
				if got.DisconnectedAt == nil || time.Since(*got.DisconnectedAt) < 50*time.Minute {
					t.Errorf("disconnected_at = %v, want an hour ago", got.DisconnectedAt)
				}
			case "null":
				if got.DisconnectedAt != nil {
					t.Errorf("disconnected_at = %v, want NULL", *got.DisconnectedAt)
				}
			}
		})
	}

	a, b := mk(model.ConnConnected, -1), mk(model.ConnConnected, -1)
	untouched := mk(model.ConnConnected, -1)
	n, err := e.St.Connections.SetStatus(e.Ctx, model.ConnStopped, a, b, untouched+100)
	must(t, err)
	if n != 2 {
		t.Errorf("bulk SetStatus = %d, want 2", n)
	}
	list, err := e.St.Connections.Query().Status(model.ConnStopped).List(e.Ctx)
	must(t, err)
	sameIDs(t, "stopped", ids(list, func(c *model.Connection) int64 { return c.ReceiverID })[len(list)-2:], []int64{a, b})

	for _, st := range []model.ConnStatus{"", "bogus", "CONNECTED"} {
		n, err := e.St.Connections.SetStatus(e.Ctx, st, untouched)
		mustErr(t, err, store.ErrInvalid)
		if n != 0 {
			t.Errorf("SetStatus(%q) = %d", st, n)
		}
	}
	got, err := e.St.Connections.ByReceiver(e.Ctx, untouched)
	must(t, err)
	if got.Status != model.ConnConnected || got.DisconnectedAt != nil {
		t.Errorf("invalid SetStatus changed the row: %+v", got)
	}
}

func TestConnectionsStats(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)

	empty, err := e.St.Connections.Stats(e.Ctx)
	must(t, err)
	if empty.Total != 0 || empty.TotalErrors != 0 || empty.MeanUptime != 0 || empty.ByStatus == nil || len(empty.ByStatus) != 0 {
		t.Errorf("empty Stats = %+v", empty)
	}

	const never = -1
	makeConns(t, e, []connState{
		{"c1", "shure", model.ConnConnected, time.Hour, 100 * time.Second, 0, 1, false},
		{"c2", "shure", model.ConnConnected, time.Hour, 300 * time.Second, 0, 0, false},
		{"c3", "shure", model.ConnConnected, time.Hour, never, never, 0, false}, // no connected_at: not in the mean
		{"e1", "shure", model.ConnError, time.Hour, never, never, 4, false},
		{"d1", "shure", model.ConnDisconnected, time.Hour, time.Hour, time.Hour, 2, false},
		{"s1", "shure", model.ConnStopped, time.Hour, time.Hour, never, 0, false},
	})
	st, err := e.St.Connections.Stats(e.Ctx)
	must(t, err)
	want := map[model.ConnStatus]int{model.ConnConnected: 3, model.ConnError: 1, model.ConnDisconnected: 1, model.ConnStopped: 1}
	if len(st.ByStatus) != len(want) {
		t.Errorf("ByStatus = %v, want %v", st.ByStatus, want)
	}
	for k, v := range want {
		if st.ByStatus[k] != v {
			t.Errorf("ByStatus[%s] = %d, want %d", k, st.ByStatus[k], v)
		}
	}
	if st.Total != 6 || st.TotalErrors != 7 {
		t.Errorf("Total %d TotalErrors %d, want 6 and 7", st.Total, st.TotalErrors)
	}
	// Mean of 100 s and 300 s, plus the few seconds the test took.
	if st.MeanUptime < 200*time.Second || st.MeanUptime > 230*time.Second {
		t.Errorf("MeanUptime = %v, want about 200s", st.MeanUptime)
	}
}
