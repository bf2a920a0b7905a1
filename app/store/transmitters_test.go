package store_test

import (
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

func TestTransmitterQuery(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	both := storetest.Battery{Bars: storetest.Int(1), Percent: storetest.Int(50)}
	bothLow := storetest.Battery{Bars: storetest.Int(5), Percent: storetest.Int(5)}
	// Channel numbers name the transmitters below.
	on := e.Receiver(storetest.Rx{Name: "on", Batteries: []storetest.Battery{
		storetest.Pct(10),  // 1
		storetest.Bars(1),  // 2: 10 %
		both,               // 3: 10 % (1 bar wins over the percent)
		storetest.Unknown,  // 4
		storetest.Bars(0),  // 5: 0 %
		storetest.Pct(15),  // 6
		storetest.Pct(100), // 7
		bothLow,            // 8: 100 % (5 bars win over the percent)
	}})
	off := e.Receiver(storetest.Rx{Name: "off", Inactive: true, Batteries: []storetest.Battery{
		storetest.Pct(5), storetest.Unknown, storetest.Bars(5),
	}})
	tag := map[int64]string{}
	for i, tx := range on.Transmitters {
		tag[tx.ID] = "on" + string(rune('1'+i))
	}
	for i, tx := range off.Transmitters {
		tag[tx.ID] = "off" + string(rune('1'+i))
	}
	// Heard: on1 now, on2 ten minutes ago, on3 two hours ago; the rest never.
	e.Exec("UPDATE transmitters SET last_seen_at = now() WHERE id = ?", on.Transmitters[0].ID)
	e.Exec("UPDATE transmitters SET last_seen_at = "+storetest.Ago(10*time.Minute)+" WHERE id = ?", on.Transmitters[1].ID)
	e.Exec("UPDATE transmitters SET last_seen_at = "+storetest.Ago(2*time.Hour)+" WHERE id = ?", on.Transmitters[2].ID)
	e.Exec("UPDATE transmitters SET last_seen_at = now() WHERE channel_id IN (SELECT id FROM channels WHERE receiver_id = ?)", off.Receiver.ID)

	type q = *store.TransmitterQuery
	cases := []struct {
		name  string
		build func(q) q
		want  []string
	}{
		{"all", func(q q) q { return q }, []string{"on1", "on2", "on3", "on4", "on5", "on6", "on7", "on8", "off1", "off2", "off3"}},
		{"low 0", func(q q) q { return q.WithLowBattery(model.LowAt(0)) }, []string{"on5"}},
		{"low 5: 5 bars win over 5 %", func(q q) q { return q.WithLowBattery(model.LowAt(5)) }, []string{"on5", "off1"}},
		{"low 10: one bar is 10 %", func(q q) q { return q.WithLowBattery(model.LowAt(10)) }, []string{"on1", "on2", "on3", "on5", "off1"}},
		{"low 15: boundary", func(q q) q { return q.WithLowBattery(model.LowAt(15)) }, []string{"on1", "on2", "on3", "on5", "on6", "off1"}},
		{"low 19", func(q q) q { return q.WithLowBattery(model.LowAt(19)) }, []string{"on1", "on2", "on3", "on5", "on6", "off1"}},
		{"low 20", func(q q) q { return q.WithLowBattery(model.LowAt(20)) }, []string{"on1", "on2", "on3", "on5", "on6", "off1"}},
		{"low 50", func(q q) q { return q.WithLowBattery(model.LowAt(50)) }, []string{"on1", "on2", "on3", "on5", "on6", "off1"}},
		{"low 99: five bars is 100 %", func(q q) q { return q.WithLowBattery(model.LowAt(99)) }, []string{"on1", "on2", "on3", "on5", "on6", "off1"}},
		{"low 100: unknown never", func(q q) q { return q.WithLowBattery(model.LowAt(100)) },
			[]string{"on1", "on2", "on3", "on5", "on6", "on7", "on8", "off1", "off3"}},
		{"silent 1m: never heard and old", func(q q) q { return q.Silent(time.Minute) },
			[]string{"on2", "on3", "on4", "on5", "on6", "on7", "on8"}},
		{"silent 1h", func(q q) q { return q.Silent(time.Hour) }, []string{"on3", "on4", "on5", "on6", "on7", "on8"}},
		{"silent 3h: only never heard", func(q q) q { return q.Silent(3 * time.Hour) }, []string{"on4", "on5", "on6", "on7", "on8"}},
		{"on active receivers", func(q q) q { return q.OnActiveReceivers() },
			[]string{"on1", "on2", "on3", "on4", "on5", "on6", "on7", "on8"}},
		{"active and low 20", func(q q) q { return q.OnActiveReceivers().WithLowBattery(model.LowAt(20)) }, []string{"on1", "on2", "on3", "on5", "on6"}},
		{"active, low 20, silent 1m", func(q q) q { return q.OnActiveReceivers().WithLowBattery(model.LowAt(20)).Silent(time.Minute) },
			[]string{"on2", "on3", "on5", "on6"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, err := c.build(e.St.Transmitters.Query()).List(e.Ctx)
			must(t, err)
			var got []string
			for _, tx := range list {
				got = append(got, tag[tx.ID])
			}
			sameStrings(t, "List", got, c.want)
		})
	}
}

func TestTransmittersUpsertMany(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx", Channels: 4})
	chs := r.Channels
	seen1 := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	seen2 := seen1.Add(time.Minute)
	rf := -62.5

	first := []*model.Transmitter{
		{ChannelID: chs[0].ID, Model: "ULXD2", BatteryBars: storetest.Int(4), BatteryPercent: storetest.Int(80), BatteryMinutes: storetest.Int(300),
			BatteryType: "LION", RFLevelDBm: &rf, Antenna: "AX", Quality: storetest.Int(90), Status: "OK", LastSeenAt: &seen1},
		{ChannelID: chs[1].ID, Model: "ULXD1", BatteryBars: storetest.Int(2), Status: "OK", LastSeenAt: &seen1},
		{ChannelID: chs[2].ID, Model: "ULXD1", Status: "UNKNOWN"},
	}
	must(t, e.St.Transmitters.Upsert(e.Ctx, first...))
	for _, tx := range first {
		if tx.ID == 0 {
			t.Fatalf("Upsert did not return id for channel %d", tx.ChannelID)
		}
	}
	firstIDs := []int64{first[0].ID, first[1].ID, first[2].ID}
	if n := e.Count("transmitters", ""); n != 3 {
		t.Fatalf("transmitters after first upsert = %d, want 3", n)
	}

	// Second call: the same three channels with new values, plus a new one.
	second := []*model.Transmitter{
		{ChannelID: chs[0].ID, Model: "ULXD2", BatteryBars: storetest.Int(3), BatteryPercent: nil, BatteryMinutes: storetest.Int(200),
			BatteryType: "LION", Antenna: "BX", Muted: true, Status: "OK"}, // LastSeenAt nil: keep
		{ChannelID: chs[1].ID, Model: "ULXD1", BatteryBars: nil, Status: "RF_LOSS", LastSeenAt: &seen2},
		{ChannelID: chs[2].ID, Model: "QLXD1", BatteryPercent: storetest.Int(12), Status: "OK", LastSeenAt: &seen2},
		{ChannelID: chs[3].ID, Model: "AD2", BatteryPercent: storetest.Int(99), Status: "OK", LastSeenAt: &seen2},
	}
	must(t, e.St.Transmitters.Upsert(e.Ctx, second...))
	if n := e.Count("transmitters", ""); n != 4 {
		t.Fatalf("transmitters after second upsert = %d, want 4 (no duplicates)", n)
	}

	want := []struct {
		id      int64
		model   string
		bars    *int
		pct     *int
		minutes *int
		antenna string
		muted   bool
		status  string
		seen    *time.Time
		rfNil   bool
	}{
		{firstIDs[0], "ULXD2", storetest.Int(3), nil, storetest.Int(200), "BX", true, "OK", &seen1, true},
		{firstIDs[1], "ULXD1", nil, nil, nil, "", false, "RF_LOSS", &seen2, true},
		{firstIDs[2], "QLXD1", nil, storetest.Int(12), nil, "", false, "OK", &seen2, true},
		{0, "AD2", nil, storetest.Int(99), nil, "", false, "OK", &seen2, true},
	}
	for i, w := range want {
		got, err := e.St.Transmitters.ByChannel(e.Ctx, chs[i].ID)
		must(t, err)
		if w.id != 0 && got.ID != w.id {
			t.Errorf("channel %d: id %d, want %d (row replaced)", i+1, got.ID, w.id)
		}
		if got.Model != w.model || !eqInt(got.BatteryBars, w.bars) || !eqInt(got.BatteryPercent, w.pct) ||
			!eqInt(got.BatteryMinutes, w.minutes) || got.Antenna != w.antenna || got.Muted != w.muted || got.Status != w.status {
			t.Errorf("channel %d = model %q bars %s pct %s min %s antenna %q muted %t status %q", i+1, got.Model,
				intp(got.BatteryBars), intp(got.BatteryPercent), intp(got.BatteryMinutes), got.Antenna, got.Muted, got.Status)
		}
		if got.LastSeenAt == nil || !got.LastSeenAt.Equal(*w.seen) {
			t.Errorf("channel %d: last_seen_at %v, want %v", i+1, got.LastSeenAt, *w.seen)
		}
		if w.rfNil && got.RFLevelDBm != nil {
			t.Errorf("channel %d: rf level %v, want NULL (overwritten)", i+1, *got.RFLevelDBm)
		}
		if !recent(&got.UpdatedAt, time.Minute) {
			t.Errorf("channel %d: updated_at %v not fresh", i+1, got.UpdatedAt)
		}
	}

	must(t, e.St.Transmitters.Upsert(e.Ctx)) // nothing to do
	// A bad value anywhere in the batch fails the whole statement.
	err := e.St.Transmitters.Upsert(e.Ctx,
		&model.Transmitter{ChannelID: chs[0].ID, Model: "X", Status: "OK"},
		&model.Transmitter{ChannelID: chs[1].ID, BatteryBars: storetest.Int(6), Status: "OK"})
	mustErr(t, err, store.ErrInvalid)
	got, err := e.St.Transmitters.ByChannel(e.Ctx, chs[0].ID)
	must(t, err)
	if got.Model != "ULXD2" {
		t.Errorf("failed batch changed channel 1: model %q", got.Model)
	}
	mustErr(t, e.St.Transmitters.Upsert(e.Ctx, &model.Transmitter{ChannelID: chs[3].ID + 100, Status: "OK"}), store.ErrConflict)
}

func TestTransmittersUpdateBatteryAndEnsure(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx", Channels: 2})
	ch := r.Channels[0].ID
	seen := time.Date(2024, 6, 1, 8, 30, 0, 0, time.UTC)
	later := seen.Add(time.Hour)

	// Ensure makes an empty row once and never overwrites.
	must(t, e.St.Transmitters.Ensure(e.Ctx, ch))
	must(t, e.St.Transmitters.Ensure(e.Ctx, ch))
	if n := e.Count("transmitters", "channel_id = ?", ch); n != 1 {
		t.Fatalf("Ensure twice: %d rows", n)
	}
	tx, err := e.St.Transmitters.ByChannel(e.Ctx, ch)
	must(t, err)
	if tx.Status != "UNKNOWN" || tx.BatteryBars != nil || tx.BatteryPercent != nil || tx.LastSeenAt != nil {
		t.Errorf("ensured row = %+v", tx)
	}

	steps := []struct {
		name     string
		upd      store.BatteryUpdate
		at       time.Time
		bars     *int
		pct      *int
		minutes  *int
		typ      string
		lastSeen *time.Time
	}{
		{"full report", store.BatteryUpdate{Bars: storetest.Int(4), Percent: storetest.Int(78), Minutes: storetest.Int(240), Type: "LION"}, seen,
			storetest.Int(4), storetest.Int(78), storetest.Int(240), "LION", &seen},
		{"unknown: all NULL, type and last seen kept", store.BatteryUpdate{}, later,
			nil, nil, nil, "LION", &seen},
		{"bars only", store.BatteryUpdate{Bars: storetest.Int(0), Type: "AA"}, later,
			storetest.Int(0), nil, nil, "AA", &later},
	}
	for _, s := range steps {
		if err := e.St.Transmitters.UpdateBattery(e.Ctx, ch, s.upd, s.at); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, err := e.St.Transmitters.ByChannel(e.Ctx, ch)
		must(t, err)
		if !eqInt(got.BatteryBars, s.bars) || !eqInt(got.BatteryPercent, s.pct) || !eqInt(got.BatteryMinutes, s.minutes) || got.BatteryType != s.typ {
			t.Errorf("%s: bars %s pct %s min %s type %q; want %s %s %s %q", s.name,
				intp(got.BatteryBars), intp(got.BatteryPercent), intp(got.BatteryMinutes), got.BatteryType,
				intp(s.bars), intp(s.pct), intp(s.minutes), s.typ)
		}
		if got.LastSeenAt == nil || !got.LastSeenAt.Equal(*s.lastSeen) {
			t.Errorf("%s: last_seen_at %v, want %v", s.name, got.LastSeenAt, *s.lastSeen)
		}
	}
	// NULL really is NULL in the table, not zero.
	must(t, e.St.Transmitters.UpdateBattery(e.Ctx, ch, store.BatteryUpdate{}, later))
	if n := e.Count("transmitters", "channel_id = ? AND battery_bars IS NULL AND battery_percent IS NULL AND battery_minutes IS NULL", ch); n != 1 {
		t.Errorf("unknown battery not stored as NULL")
	}
	// An unknown battery is not low even at 100 %.
	low, err := e.St.Transmitters.Query().WithLowBattery(model.LowAt(100)).List(e.Ctx)
	must(t, err)
	if len(low) != 0 {
		t.Errorf("unknown battery counted low: %+v", low[0])
	}

	// UpdateBattery creates the row when missing.
	ch2 := r.Channels[1].ID
	must(t, e.St.Transmitters.UpdateBattery(e.Ctx, ch2, store.BatteryUpdate{Percent: storetest.Int(5)}, seen))
	got, err := e.St.Transmitters.ByChannel(e.Ctx, ch2)
	must(t, err)
	if !eqInt(got.BatteryPercent, storetest.Int(5)) || got.BatteryBars != nil || got.Status != "UNKNOWN" {
		t.Errorf("created by UpdateBattery: %+v", got)
	}
	// Ensure leaves an existing row alone.
	must(t, e.St.Transmitters.Ensure(e.Ctx, ch2))
	got, err = e.St.Transmitters.ByChannel(e.Ctx, ch2)
	must(t, err)
	if !eqInt(got.BatteryPercent, storetest.Int(5)) {
		t.Errorf("Ensure overwrote battery: %s", intp(got.BatteryPercent))
	}

	for _, c := range []struct {
		name       string
		upd        store.BatteryUpdate
		constraint string
	}{
		{"bars 6", store.BatteryUpdate{Bars: storetest.Int(6)}, "transmitters_battery_bars_check"},
		{"bars -1", store.BatteryUpdate{Bars: storetest.Int(-1)}, "transmitters_battery_bars_check"},
		{"percent 101", store.BatteryUpdate{Percent: storetest.Int(101)}, "transmitters_battery_percent_check"},
		{"minutes -1", store.BatteryUpdate{Minutes: storetest.Int(-1)}, "transmitters_battery_minutes_check"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := e.St.Transmitters.UpdateBattery(e.Ctx, ch, c.upd, later)
			mustErr(t, err, store.ErrInvalid)
			if got := store.ConstraintName(err); got != c.constraint {
				t.Errorf("ConstraintName = %q, want %q", got, c.constraint)
			}
		})
	}
	got, err = e.St.Transmitters.ByChannel(e.Ctx, ch)
	must(t, err)
	if got.BatteryBars != nil || got.BatteryPercent != nil {
		t.Errorf("rejected update changed the row: %+v", got)
	}

	mustErr(t, e.St.Transmitters.UpdateBattery(e.Ctx, ch2+100, store.BatteryUpdate{}, later), store.ErrConflict)
	mustErr(t, e.St.Transmitters.Ensure(e.Ctx, ch2+100), store.ErrConflict)
	_, err = e.St.Transmitters.ByChannel(e.Ctx, ch2+100)
	mustErr(t, err, store.ErrNotFound)
}
