package store_test

// Writes the monitor makes as devices talk: receiver online state, channel
// facts and the connection record's lifecycle.

import (
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

func TestReceiversSetOnline(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx"}).Receiver
	kept := e.Receiver(storetest.Rx{Name: "maint"}).Receiver
	kept.Status = model.LifecycleMaintenance
	must(t, e.St.Receivers.Update(e.Ctx, kept, "status"))
	t1 := time.Date(2024, 7, 1, 20, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Minute)

	steps := []struct {
		name     string
		id       int64
		online   bool
		at       time.Time
		changed  bool
		status   model.Lifecycle
		lastSeen *time.Time
	}{
		{"comes online", r.ID, true, t1, true, model.LifecycleOnline, &t1},
		{"still online: seen later, no change", r.ID, true, t2, false, model.LifecycleOnline, &t2},
		{"goes offline: last seen kept", r.ID, false, t2.Add(time.Hour), true, model.LifecycleOffline, &t2},
		{"offline again", r.ID, false, t2.Add(2 * time.Hour), false, model.LifecycleOffline, &t2},
		{"maintenance keeps its status", kept.ID, true, t1, true, model.LifecycleMaintenance, &t1},
		{"maintenance offline", kept.ID, false, t2, true, model.LifecycleMaintenance, &t1},
	}
	for _, s := range steps {
		changed, err := e.St.Receivers.SetOnline(e.Ctx, s.id, s.online, s.at)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if changed != s.changed {
			t.Errorf("%s: changed = %t, want %t", s.name, changed, s.changed)
		}
		got, err := e.St.Receivers.Get(e.Ctx, s.id)
		must(t, err)
		if got.Online != s.online || got.Status != s.status {
			t.Errorf("%s: online %t status %s, want %t %s", s.name, got.Online, got.Status, s.online, s.status)
		}
		if got.LastSeenAt == nil || !got.LastSeenAt.Equal(*s.lastSeen) {
			t.Errorf("%s: last_seen_at %v, want %v", s.name, got.LastSeenAt, *s.lastSeen)
		}
	}
	_, err := e.St.Receivers.SetOnline(e.Ctx, kept.ID+100, true, t1)
	mustErr(t, err, store.ErrNotFound)
}

func TestChannelsSetDeviceFacts(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx", Channels: 2})
	ch := r.Channels[0]
	e.Exec("UPDATE channels SET updated_at = "+storetest.Ago(time.Hour)+" WHERE receiver_id = ?", r.Receiver.ID)

	steps := []struct {
		name     string
		chName   string
		freq     *int
		wantName string
		wantFreq *int
		touched  bool // updated_at bumped
	}{
		{"name and frequency", "HH01 Ann", storetest.Int(500000), "HH01 Ann", storetest.Int(500000), true},
		{"nil frequency keeps it", "HH02 Bob", nil, "HH02 Bob", storetest.Int(500000), true},
		{"same facts write nothing", "HH02 Bob", storetest.Int(500000), "HH02 Bob", storetest.Int(500000), false},
		{"same name, nil frequency: nothing", "HH02 Bob", nil, "HH02 Bob", storetest.Int(500000), false},
		{"new frequency", "HH02 Bob", storetest.Int(510000), "HH02 Bob", storetest.Int(510000), true},
	}
	for _, s := range steps {
		e.Exec("UPDATE channels SET updated_at = "+storetest.Ago(time.Hour)+" WHERE id = ?", ch.ID)
		must(t, e.St.Channels.SetDeviceFacts(e.Ctx, ch.ID, s.chName, s.freq))
		got, err := e.St.Channels.Get(e.Ctx, ch.ID)
		must(t, err)
		if got.Name != s.wantName || !eqInt(got.FrequencyKHz, s.wantFreq) {
			t.Errorf("%s: name %q freq %s, want %q %s", s.name, got.Name, intp(got.FrequencyKHz), s.wantName, intp(s.wantFreq))
		}
		if recent(&got.UpdatedAt, 10*time.Minute) != s.touched {
			t.Errorf("%s: updated_at %v, touched want %t", s.name, got.UpdatedAt, s.touched)
		}
	}
	// The sibling channel is untouched.
	sib, err := e.St.Channels.Get(e.Ctx, r.Channels[1].ID)
	must(t, err)
	if sib.Name != r.Channels[1].Name || sib.FrequencyKHz != nil {
		t.Errorf("sibling changed: %+v", sib)
	}
	mustErr(t, e.St.Channels.SetDeviceFacts(e.Ctx, ch.ID, "x", storetest.Int(0)), store.ErrInvalid)
}

func TestConnectionsLifecycle(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx"}).Receiver
	other := e.Receiver(storetest.Rx{Name: "other"}).Receiver
	for _, id := range []int64{r.ID, other.ID} {
		_, err := e.St.Connections.Ensure(e.Ctx, id, model.ConnConnecting)
		must(t, err)
	}
	t0 := time.Date(2024, 8, 1, 18, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tp := func(m int) *time.Time { v := at(m); return &v }

	type want struct {
		status       model.ConnStatus
		connectedAt  *time.Time
		lastMessage  *time.Time
		disconnected *time.Time
		errors       int
		message      string
		attempts     int
	}
	steps := []struct {
		name string
		do   func() error
		want want
	}{
		{"reconnect attempt while connecting", func() error { return e.St.Connections.RecordReconnect(e.Ctx, r.ID) },
			want{model.ConnConnecting, nil, nil, nil, 0, "", 1}},
		{"first message connects", func() error { return e.St.Connections.Heartbeat(e.Ctx, r.ID, at(0)) },
			want{model.ConnConnected, tp(0), tp(0), nil, 0, "", 0}},
		{"later message keeps connected_at", func() error { return e.St.Connections.Heartbeat(e.Ctx, r.ID, at(1)) },
			want{model.ConnConnected, tp(0), tp(1), nil, 0, "", 0}},
		{"error while connected stamps disconnected_at", func() error { return e.St.Connections.RecordError(e.Ctx, r.ID, "reset by peer", at(2)) },
			want{model.ConnError, tp(0), tp(1), tp(2), 1, "reset by peer", 0}},
		{"second error keeps the first disconnect", func() error { return e.St.Connections.RecordError(e.Ctx, r.ID, "refused", at(3)) },
			want{model.ConnError, tp(0), tp(1), tp(2), 2, "refused", 0}},
		{"reconnect attempt keeps error", func() error { return e.St.Connections.RecordReconnect(e.Ctx, r.ID) },
			want{model.ConnError, tp(0), tp(1), tp(2), 2, "refused", 1}},
		{"message after the gap stamps a new connected_at", func() error { return e.St.Connections.Heartbeat(e.Ctx, r.ID, at(4)) },
			want{model.ConnConnected, tp(4), tp(4), tp(2), 2, "refused", 0}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		c, err := e.St.Connections.ByReceiver(e.Ctx, r.ID)
		must(t, err)
		w := s.want
		if c.Status != w.status || c.ErrorCount != w.errors || c.ErrorMessage != w.message || c.ReconnectAttempts != w.attempts ||
			!sameTime(c.ConnectedAt, w.connectedAt) || !sameTime(c.LastMessageAt, w.lastMessage) || !sameTime(c.DisconnectedAt, w.disconnected) {
			t.Errorf("%s:\n got status %s connected %v last %v disconnected %v errors %d %q attempts %d\nwant %+v", s.name,
				c.Status, c.ConnectedAt, c.LastMessageAt, c.DisconnectedAt, c.ErrorCount, c.ErrorMessage, c.ReconnectAttempts, w)
		}
	}
	if c, err := e.St.Connections.ByReceiver(e.Ctx, other.ID); err != nil || c.Status != model.ConnConnecting || c.ReconnectAttempts != 0 {
		t.Errorf("other connection changed: %+v, %v", c, err)
	}
	mustErr(t, e.St.Connections.RecordError(e.Ctx, other.ID+100, "x", at(5)), store.ErrNotFound)
}

func TestConnectionsMarkStale(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	const never = -1
	h := time.Hour
	names := makeConns(t, e, []connState{
		{"connected-old-msg", "shure", model.ConnConnected, h, h, 5 * time.Minute, 0, true},
		{"connected-fresh-msg", "shure", model.ConnConnected, h, h, time.Second, 0, false},
		{"connected-no-msg-old", "shure", model.ConnConnected, h, 5 * time.Minute, never, 0, true},
		{"error-old", "shure", model.ConnError, h, h, h, 1, true},
		{"connecting-old", "shure", model.ConnConnecting, h, never, never, 0, true},
		{"stopped-old", "shure", model.ConnStopped, h, h, h, 0, false},
	})
	stale, err := e.St.Connections.MarkStale(e.Ctx, time.Minute)
	must(t, err)
	var got []string
	for _, id := range stale {
		got = append(got, names[id])
	}
	if len(got) == 2 && got[0] > got[1] {
		got[0], got[1] = got[1], got[0]
	}
	sameStrings(t, "MarkStale", got, []string{"connected-no-msg-old", "connected-old-msg"})

	list, err := e.St.Connections.Query().List(e.Ctx)
	must(t, err)
	status := map[string]model.ConnStatus{}
	for _, c := range list {
		status[names[c.ReceiverID]] = c.Status
		if names[c.ReceiverID] == "connected-old-msg" && !recent(c.DisconnectedAt, time.Minute) {
			t.Errorf("stale connection without disconnected_at: %v", c.DisconnectedAt)
		}
	}
	for name, want := range map[string]model.ConnStatus{
		"connected-old-msg": model.ConnDisconnected, "connected-fresh-msg": model.ConnConnected,
		"connected-no-msg-old": model.ConnDisconnected, "error-old": model.ConnError,
		"connecting-old": model.ConnConnecting, "stopped-old": model.ConnStopped,
	} {
		if status[name] != want {
			t.Errorf("%s: status %s, want %s", name, status[name], want)
		}
	}
	again, err := e.St.Connections.MarkStale(e.Ctx, time.Minute)
	must(t, err)
	if len(again) != 0 {
		t.Errorf("second MarkStale = %v, want none", again)
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
