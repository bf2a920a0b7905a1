package store_test

import (
	"testing"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

func TestAssignmentQuery(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx", Channels: 5})
	c := r.Channels
	p1, p2, p3 := e.Performer("Ann"), e.Performer("Bob"), e.Performer("Cid")

	a1 := e.Assign(p1, c[0], model.PriorityNormal, true)
	a2 := e.Assign(p1, c[1], model.PriorityCritical, true)
	a3 := e.Assign(p2, c[2], model.PriorityLow, true)
	a4 := e.Assign(p2, c[0], model.PriorityHigh, false) // inactive second on c1: allowed
	a5 := e.Assign(p3, c[3], model.PriorityHigh, true)
	a6 := e.Assign(p3, c[4], model.PriorityCritical, true)
	// a3 raises nothing; a6 only audio-low.
	n, err := e.St.Assignments.SetAlertFlags(e.Ctx, model.AlertFlags{}, a3.ID)
	must(t, err)
	if n != 1 {
		t.Fatalf("SetAlertFlags = %d", n)
	}
	_, err = e.St.Assignments.SetAlertFlags(e.Ctx, model.AlertFlags{AudioLow: true}, a6.ID)
	must(t, err)

	name := map[int64]string{a1.ID: "a1", a2.ID: "a2", a3.ID: "a3", a4.ID: "a4", a5.ID: "a5", a6.ID: "a6"}
	type q = *store.AssignmentQuery
	cases := []struct {
		name  string
		build func(q) q
		want  []string
	}{
		{"all by priority then id", func(q q) q { return q }, []string{"a2", "a6", "a4", "a5", "a1", "a3"}},
		{"by performer Ann", func(q q) q { return q.ByPerformer(p1.ID) }, []string{"a2", "a1"}},
		{"by performer Bob", func(q q) q { return q.ByPerformer(p2.ID) }, []string{"a4", "a3"}},
		{"by missing performer", func(q q) q { return q.ByPerformer(p3.ID + 100) }, nil},
		{"by channel 1", func(q q) q { return q.ByChannel(c[0].ID) }, []string{"a4", "a1"}},
		{"by channel 3", func(q q) q { return q.ByChannel(c[2].ID) }, []string{"a3"}},
		{"active", func(q q) q { return q.Active() }, []string{"a2", "a6", "a5", "a1", "a3"}},
		{"with alerts", func(q q) q { return q.WithAlerts() }, []string{"a2", "a6", "a4", "a5", "a1"}},
		{"active with alerts", func(q q) q { return q.Active().WithAlerts() }, []string{"a2", "a6", "a5", "a1"}},
		{"Bob active with alerts: none", func(q q) q { return q.ByPerformer(p2.ID).Active().WithAlerts() }, nil},
		{"channel 1 active", func(q q) q { return q.ByChannel(c[0].ID).Active() }, []string{"a1"}},
		{"Cid with alerts", func(q q) q { return q.ByPerformer(p3.ID).WithAlerts() }, []string{"a6", "a5"}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			list, err := cs.build(e.St.Assignments.Query()).List(e.Ctx)
			must(t, err)
			var got []string
			for _, a := range list {
				got = append(got, name[a.ID])
				if a.Performer == nil || a.Performer.ID != a.PerformerID || a.Performer.Name == "" {
					t.Errorf("%s: performer not loaded: %+v", name[a.ID], a.Performer)
				}
				if a.Channel == nil || a.Channel.ID != a.ChannelID || a.Channel.Number == 0 {
					t.Errorf("%s: channel not loaded: %+v", name[a.ID], a.Channel)
				}
			}
			sameStrings(t, "List", got, cs.want)
		})
	}

	got, err := e.St.Assignments.Get(e.Ctx, a2.ID)
	must(t, err)
	if got.Priority != model.PriorityCritical || !got.Active || got.AlertFlags != model.DefaultAlerts ||
		got.Performer == nil || got.Performer.Name != "Ann" || got.Channel == nil || got.Channel.Number != 2 {
		t.Errorf("Get = %+v", got)
	}
	got, err = e.St.Assignments.Get(e.Ctx, a6.ID)
	must(t, err)
	if got.AlertFlags != (model.AlertFlags{AudioLow: true}) {
		t.Errorf("a6 flags = %+v", got.AlertFlags)
	}
	_, err = e.St.Assignments.Get(e.Ctx, a6.ID+100)
	mustErr(t, err, store.ErrNotFound)

	act, err := e.St.Assignments.ActiveForChannel(e.Ctx, c[0].ID)
	must(t, err)
	if act.ID != a1.ID || act.Performer == nil || act.Performer.Name != "Ann" {
		t.Errorf("ActiveForChannel(c1) = %+v", act)
	}
	ch6 := &model.Channel{ReceiverID: r.Receiver.ID, Number: 6}
	must(t, e.St.Channels.Upsert(e.Ctx, ch6))
	_, err = e.St.Assignments.ActiveForChannel(e.Ctx, ch6.ID)
	mustErr(t, err, store.ErrNotFound)
}

func TestAssignmentsOneActivePerChannel(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx", Channels: 2})
	ch := r.Channels[0]
	p1, p2 := e.Performer("First"), e.Performer("Second")
	first := e.Assign(p1, ch, model.PriorityHigh, true)

	second := &model.Assignment{PerformerID: p2.ID, ChannelID: ch.ID, Priority: model.PriorityCritical, Active: true, AlertFlags: model.DefaultAlerts}
	err := e.St.Assignments.Create(e.Ctx, second)
	mustErr(t, err, store.ErrAlreadyExists)
	if got := store.ConstraintName(err); got != "assignments_channel_active_key" {
		t.Errorf("ConstraintName = %q, want assignments_channel_active_key", got)
	}
	cur, err := e.St.Assignments.ActiveForChannel(e.Ctx, ch.ID)
	must(t, err)
	if cur.ID != first.ID || cur.PerformerID != p1.ID || cur.Priority != model.PriorityHigh || !cur.Active {
		t.Errorf("first assignment changed: %+v", cur)
	}
	if n := e.Count("assignments", "channel_id = ?", ch.ID); n != 1 {
		t.Fatalf("assignments on channel = %d, want 1", n)
	}

	// An inactive second one is allowed, and so is one on another channel.
	idle := &model.Assignment{PerformerID: p2.ID, ChannelID: ch.ID, Priority: model.PriorityNormal, Active: false}
	must(t, e.St.Assignments.Create(e.Ctx, idle))
	must(t, e.St.Assignments.Create(e.Ctx, &model.Assignment{PerformerID: p2.ID, ChannelID: r.Channels[1].ID, Priority: model.PriorityLow, Active: true}))

	// Activating the idle one while the first is active is refused too.
	idle.Active = true
	err = e.St.Assignments.Update(e.Ctx, idle, "active")
	mustErr(t, err, store.ErrAlreadyExists)
	if store.ConstraintName(err) != "assignments_channel_active_key" {
		t.Errorf("ConstraintName = %q", store.ConstraintName(err))
	}
	// Once the first is deactivated, the swap works.
	first.Active = false
	must(t, e.St.Assignments.Update(e.Ctx, first, "active"))
	must(t, e.St.Assignments.Update(e.Ctx, idle, "active"))
	cur, err = e.St.Assignments.ActiveForChannel(e.Ctx, ch.ID)
	must(t, err)
	if cur.ID != idle.ID || cur.Performer == nil || cur.Performer.Name != "Second" {
		t.Errorf("after swap ActiveForChannel = %+v", cur)
	}

	// Update of all columns writes notes and priority.
	idle.Notes = "swap at interval"
	idle.Priority = model.PriorityCritical
	must(t, e.St.Assignments.Update(e.Ctx, idle))
	got, err := e.St.Assignments.Get(e.Ctx, idle.ID)
	must(t, err)
	if got.Notes != "swap at interval" || got.Priority != model.PriorityCritical || !got.Active {
		t.Errorf("after Update: %+v", got)
	}
	mustErr(t, e.St.Assignments.Update(e.Ctx, &model.Assignment{ID: idle.ID + 100, Priority: model.PriorityLow}, "priority"), store.ErrNotFound)

	for _, c := range []struct {
		name string
		a    model.Assignment
		kind error
	}{
		{"bad priority", model.Assignment{PerformerID: p1.ID, ChannelID: r.Channels[1].ID, Priority: "urgent"}, store.ErrInvalid},
		{"missing performer", model.Assignment{PerformerID: p2.ID + 100, ChannelID: r.Channels[1].ID, Priority: model.PriorityLow}, store.ErrConflict},
		{"missing channel", model.Assignment{PerformerID: p1.ID, ChannelID: r.Channels[1].ID + 100, Priority: model.PriorityLow}, store.ErrConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := c.a
			mustErr(t, e.St.Assignments.Create(e.Ctx, &a), c.kind)
		})
	}
}

func TestAssignmentsSetAlertFlagsAndDelete(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx", Channels: 3})
	p := e.Performer("P")
	a := e.Assign(p, r.Channels[0], model.PriorityNormal, true)
	b := e.Assign(p, r.Channels[1], model.PriorityNormal, true)
	c := e.Assign(p, r.Channels[2], model.PriorityNormal, true)

	flags := model.AlertFlags{SignalLoss: true, AudioLow: true}
	steps := []struct {
		flags model.AlertFlags
		ids   []int64
		n     int
	}{
		{flags, []int64{a.ID, b.ID, c.ID + 100}, 2},
		{flags, []int64{a.ID, b.ID}, 2}, // same values still touch the rows
		{flags, nil, 0},
		{flags, []int64{c.ID + 100}, 0},
	}
	for _, s := range steps {
		n, err := e.St.Assignments.SetAlertFlags(e.Ctx, s.flags, s.ids...)
		must(t, err)
		if n != s.n {
			t.Errorf("SetAlertFlags(%v) = %d, want %d", s.ids, n, s.n)
		}
	}
	for _, w := range []struct {
		id    int64
		flags model.AlertFlags
	}{{a.ID, flags}, {b.ID, flags}, {c.ID, model.DefaultAlerts}} {
		got, err := e.St.Assignments.Get(e.Ctx, w.id)
		must(t, err)
		if got.AlertFlags != w.flags {
			t.Errorf("assignment %d flags = %+v, want %+v", w.id, got.AlertFlags, w.flags)
		}
	}

	must(t, e.St.Assignments.Delete(e.Ctx, b.ID))
	_, err := e.St.Assignments.Get(e.Ctx, b.ID)
	mustErr(t, err, store.ErrNotFound)
	mustErr(t, e.St.Assignments.Delete(e.Ctx, b.ID), store.ErrNotFound)
	mustErr(t, e.St.Assignments.Delete(e.Ctx, c.ID+100), store.ErrNotFound)
	if n := e.Count("assignments", ""); n != 2 {
		t.Errorf("assignments left = %d, want 2", n)
	}

	// Deleting the performer removes the rest.
	must(t, e.St.Performers.Delete(e.Ctx, p.ID))
	if n := e.Count("assignments", ""); n != 0 {
		t.Errorf("assignments after performer delete = %d, want 0", n)
	}
}

func TestPerformers(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	for _, p := range []*model.Performer{
		{Name: "zoe", Role: "Lead", Active: true},
		{Name: "Adam", Active: true},
		{Name: "bea", Active: false},
	} {
		must(t, e.St.Performers.Create(e.Ctx, p))
		if p.ID == 0 || p.CreatedAt.IsZero() {
			t.Fatalf("Create did not fill %+v", p)
		}
	}
	for _, c := range []struct {
		active bool
		want   []string
	}{
		{false, []string{"Adam", "bea", "zoe"}},
		{true, []string{"Adam", "zoe"}},
	} {
		list, err := e.St.Performers.List(e.Ctx, c.active)
		must(t, err)
		var got []string
		for _, p := range list {
			got = append(got, p.Name)
		}
		sameStrings(t, "Performers.List", got, c.want)
	}
	zoe, err := e.St.Performers.List(e.Ctx, true)
	must(t, err)
	p := zoe[1]
	p.Notes = "in-ear"
	p.Active = false
	must(t, e.St.Performers.Update(e.Ctx, p))
	got, err := e.St.Performers.Get(e.Ctx, p.ID)
	must(t, err)
	if got.Notes != "in-ear" || got.Active || got.Role != "Lead" {
		t.Errorf("after Update: %+v", got)
	}
	mustErr(t, e.St.Performers.Create(e.Ctx, &model.Performer{Name: " "}), store.ErrInvalid)
	mustErr(t, e.St.Performers.Update(e.Ctx, &model.Performer{ID: p.ID + 100, Name: "x"}), store.ErrNotFound)
	mustErr(t, e.St.Performers.Delete(e.Ctx, p.ID+100), store.ErrNotFound)
	_, err = e.St.Performers.Get(e.Ctx, p.ID+100)
	mustErr(t, err, store.ErrNotFound)
}
