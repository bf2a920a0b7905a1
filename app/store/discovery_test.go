package store_test

import (
	"errors"
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

func TestDiscoveryTasksDue(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	now := time.Now().UTC().Truncate(time.Second)

	type spec struct {
		name     string
		enabled  bool
		status   model.TaskStatus
		lastRun  time.Duration // before now; -1: never
		interval int
	}
	specs := []spec{
		{"never-run", true, model.TaskPending, -1, 3600},
		{"interval-passed", true, model.TaskSuccess, 2 * time.Hour, 3600},
		{"interval-not-passed", true, model.TaskSuccess, 10 * time.Minute, 3600},
		{"exactly-at-interval", true, model.TaskSuccess, time.Hour, 3600},
		{"just-before-interval", true, model.TaskSuccess, time.Hour - time.Second, 3600},
		{"disabled-never-run", false, model.TaskPending, -1, 3600},
		{"disabled-overdue", false, model.TaskSuccess, 48 * time.Hour, 3600},
		{"running-never-run", true, model.TaskRunning, -1, 3600},
		{"running-overdue", true, model.TaskRunning, 48 * time.Hour, 3600},
		{"failed-overdue", true, model.TaskFailed, 3 * time.Hour, 60},
		{"short-interval", true, model.TaskSuccess, 2 * time.Minute, 60},
	}
	names := map[int64]string{}
	for _, s := range specs {
		task := &model.DiscoveryTask{Name: s.name, Kind: model.DiscoveryCIDR, Target: "10.0.0.0/24",
			Enabled: s.enabled, IntervalSeconds: s.interval, Status: s.status}
		if s.lastRun >= 0 {
			at := now.Add(-s.lastRun)
			task.LastRunAt = &at
		}
		must(t, e.St.DiscoveryTasks.Create(e.Ctx, task))
		names[task.ID] = s.name
	}

	cases := []struct {
		at   time.Time
		want []string // never-run first, then oldest run
	}{
		{now, []string{"never-run", "failed-overdue", "interval-passed", "exactly-at-interval", "short-interval"}},
		{now.Add(time.Second), []string{"never-run", "failed-overdue", "interval-passed", "exactly-at-interval", "just-before-interval", "short-interval"}},
		{now.Add(-time.Hour), []string{"never-run", "failed-overdue", "interval-passed"}},
		{now.Add(51 * time.Minute), []string{"never-run", "failed-overdue", "interval-passed", "exactly-at-interval",
			"just-before-interval", "interval-not-passed", "short-interval"}},
	}
	for _, c := range cases {
		t.Run(c.at.Sub(now).String(), func(t *testing.T) {
			due, err := e.St.DiscoveryTasks.Due(e.Ctx, c.at)
			must(t, err)
			var got []string
			for _, d := range due {
				got = append(got, names[d.ID])
			}
			sameStrings(t, "Due", got, c.want)
		})
	}

	// Running a task takes it out of Due; finishing puts it back later.
	due, err := e.St.DiscoveryTasks.Due(e.Ctx, now)
	must(t, err)
	task := due[0]
	task.Status = model.TaskRunning
	must(t, e.St.DiscoveryTasks.Update(e.Ctx, task))
	after, err := e.St.DiscoveryTasks.Due(e.Ctx, now)
	must(t, err)
	if len(after) != len(due)-1 || after[0].ID == task.ID {
		t.Errorf("running task still due")
	}
	task.Status = model.TaskSuccess
	task.LastRunAt = &now
	task.Found = 3
	must(t, e.St.DiscoveryTasks.Update(e.Ctx, task))
	got, err := e.St.DiscoveryTasks.Get(e.Ctx, task.ID)
	must(t, err)
	if got.Found != 3 || got.LastRunAt == nil || !got.LastRunAt.Equal(now) || got.Status != model.TaskSuccess {
		t.Errorf("after Update: %+v", got)
	}
	for _, at := range []time.Time{now, now.Add(59 * time.Minute)} {
		d, err := e.St.DiscoveryTasks.Due(e.Ctx, at)
		must(t, err)
		for _, x := range d {
			if x.ID == task.ID {
				t.Errorf("task just run is due at %v", at.Sub(now))
			}
		}
	}
}

func TestDiscoveryTasksCRUD(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	shure, err := e.St.Manufacturers.ByCode(e.Ctx, "shure")
	must(t, err)
	a := &model.DiscoveryTask{Name: "b-scan", Kind: model.DiscoverySLP, Enabled: true, IntervalSeconds: 600, ManufacturerID: &shure.ID}
	must(t, e.St.DiscoveryTasks.Create(e.Ctx, a))
	if a.ID == 0 || a.Status != model.TaskPending || a.CreatedAt.IsZero() {
		t.Errorf("Create = %+v", a)
	}
	must(t, e.St.DiscoveryTasks.Create(e.Ctx, &model.DiscoveryTask{Name: "A-scan", Kind: model.DiscoveryMDNS, IntervalSeconds: 60}))
	list, err := e.St.DiscoveryTasks.List(e.Ctx)
	must(t, err)
	if len(list) != 2 || list[0].Name != "A-scan" || list[1].Name != "b-scan" {
		t.Errorf("List = %+v", list)
	}
	for _, c := range []struct {
		name string
		task model.DiscoveryTask
		kind error
	}{
		{"interval under a minute", model.DiscoveryTask{Name: "x", Kind: model.DiscoveryCIDR, IntervalSeconds: 59}, store.ErrInvalid},
		{"unknown kind", model.DiscoveryTask{Name: "x", Kind: "carrier-pigeon", IntervalSeconds: 60}, store.ErrInvalid},
		{"blank name", model.DiscoveryTask{Name: " ", Kind: model.DiscoveryCIDR, IntervalSeconds: 60}, store.ErrInvalid},
		{"bad status", model.DiscoveryTask{Name: "x", Kind: model.DiscoveryCIDR, IntervalSeconds: 60, Status: "done"}, store.ErrInvalid},
		{"missing manufacturer", model.DiscoveryTask{Name: "x", Kind: model.DiscoveryCIDR, IntervalSeconds: 60, ManufacturerID: storetest.ID(shure.ID + 100)}, store.ErrConflict},
	} {
		task := c.task
		if err := e.St.DiscoveryTasks.Create(e.Ctx, &task); !errors.Is(err, c.kind) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.kind)
		}
	}
	_, err = e.St.DiscoveryTasks.Get(e.Ctx, a.ID+100)
	mustErr(t, err, store.ErrNotFound)
	mustErr(t, e.St.DiscoveryTasks.Update(e.Ctx, &model.DiscoveryTask{ID: a.ID + 100, Name: "x", Kind: model.DiscoveryCIDR, IntervalSeconds: 60, Status: model.TaskPending}), store.ErrNotFound)
}

func TestDiscoveredDevices(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	shure, err := e.St.Manufacturers.ByCode(e.Ctx, "shure")
	must(t, err)
	senn, err := e.St.Manufacturers.ByCode(e.Ctx, "sennheiser")
	must(t, err)
	task := &model.DiscoveryTask{Name: "scan", Kind: model.DiscoveryCIDR, Enabled: true, IntervalSeconds: 60}
	must(t, e.St.DiscoveryTasks.Create(e.Ctx, task))
	rx := e.Receiver(storetest.Rx{Name: "known"}).Receiver

	first := &model.DiscoveredDevice{TaskID: &task.ID, ManufacturerID: shure.ID, Host: "10.9.0.1", Port: 2202, Model: "ULXD4", Name: "old", Channels: 1}
	must(t, e.St.DiscoveredDevices.Upsert(e.Ctx, first))
	if first.ID == 0 || first.State != model.DiscoveredNew {
		t.Fatalf("first Upsert = %+v", first)
	}
	e.Exec("UPDATE discovered_devices SET first_seen_at = "+storetest.Ago(time.Hour)+", last_seen_at = "+storetest.Ago(time.Hour)+" WHERE id = ?", first.ID)

	again := &model.DiscoveredDevice{ManufacturerID: shure.ID, Host: "10.9.0.1", Port: 2202, Model: "ULXD4Q", Name: "new", Channels: 4, Serial: "S9"}
	must(t, e.St.DiscoveredDevices.Upsert(e.Ctx, again))
	if again.ID != first.ID {
		t.Fatalf("second Upsert made row %d, want %d", again.ID, first.ID)
	}
	if n := e.Count("discovered_devices", ""); n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
	got, err := e.St.DiscoveredDevices.Get(e.Ctx, first.ID)
	must(t, err)
	if got.Name != "new" || got.Model != "ULXD4Q" || got.Channels != 4 || got.Serial != "S9" || got.State != model.DiscoveredNew {
		t.Errorf("after second Upsert: %+v", got)
	}
	if got.TaskID == nil || *got.TaskID != task.ID {
		t.Errorf("task id lost on re-discovery: %v", got.TaskID)
	}
	if time.Since(got.FirstSeenAt) < 50*time.Minute {
		t.Errorf("first_seen_at moved: %v", got.FirstSeenAt)
	}
	if !recent(&got.LastSeenAt, time.Minute) {
		t.Errorf("last_seen_at not refreshed: %v", got.LastSeenAt)
	}

	// Approved: seeing it again keeps the state and the receiver link.
	must(t, e.St.DiscoveredDevices.SetState(e.Ctx, first.ID, model.DiscoveredApproved, &rx.ID))
	steps := []struct {
		name      string
		state     model.DiscoveredState
		wantState model.DiscoveredState
	}{
		{"seen again as new", "", model.DiscoveredApproved},
		{"seen again claiming duplicate", model.DiscoveredDuplicate, model.DiscoveredApproved},
	}
	for _, s := range steps {
		d := &model.DiscoveredDevice{ManufacturerID: shure.ID, Host: "10.9.0.1", Port: 2202, Name: s.name, State: s.state}
		must(t, e.St.DiscoveredDevices.Upsert(e.Ctx, d))
		got, err := e.St.DiscoveredDevices.Get(e.Ctx, first.ID)
		must(t, err)
		if got.State != s.wantState || got.ReceiverID == nil || *got.ReceiverID != rx.ID || got.Name != s.name {
			t.Errorf("%s: state %s receiver %v name %q", s.name, got.State, got.ReceiverID, got.Name)
		}
	}

	// A new one may be re-marked by the scanner (e.g. as a duplicate).
	dup := &model.DiscoveredDevice{ManufacturerID: senn.ID, Host: "10.9.0.2", Port: 45}
	must(t, e.St.DiscoveredDevices.Upsert(e.Ctx, dup))
	must(t, e.St.DiscoveredDevices.Upsert(e.Ctx, &model.DiscoveredDevice{ManufacturerID: senn.ID, Host: "10.9.0.2", Port: 45, State: model.DiscoveredDuplicate, ReceiverID: &rx.ID}))
	rej := &model.DiscoveredDevice{ManufacturerID: senn.ID, Host: "10.9.0.3", Port: 45}
	must(t, e.St.DiscoveredDevices.Upsert(e.Ctx, rej))
	must(t, e.St.DiscoveredDevices.SetState(e.Ctx, rej.ID, model.DiscoveredRejected, nil))
	fresh := &model.DiscoveredDevice{ManufacturerID: shure.ID, Host: "10.9.0.4", Port: 2202}
	must(t, e.St.DiscoveredDevices.Upsert(e.Ctx, fresh))
	// Make the order by last_seen_at unambiguous.
	for i, id := range []int64{first.ID, dup.ID, rej.ID, fresh.ID} {
		e.Exec("UPDATE discovered_devices SET last_seen_at = "+storetest.Ago(time.Duration(4-i)*time.Minute)+" WHERE id = ?", id)
	}

	cases := []struct {
		state model.DiscoveredState
		want  []int64
	}{
		{"", []int64{fresh.ID, rej.ID, dup.ID, first.ID}},
		{model.DiscoveredNew, []int64{fresh.ID}},
		{model.DiscoveredApproved, []int64{first.ID}},
		{model.DiscoveredDuplicate, []int64{dup.ID}},
		{model.DiscoveredRejected, []int64{rej.ID}},
	}
	for _, c := range cases {
		list, err := e.St.DiscoveredDevices.List(e.Ctx, c.state)
		must(t, err)
		sameIDs(t, "List "+string(c.state), ids(list, func(d *model.DiscoveredDevice) int64 { return d.ID }), c.want)
	}
	gd, err := e.St.DiscoveredDevices.Get(e.Ctx, dup.ID)
	must(t, err)
	if gd.ReceiverID == nil || *gd.ReceiverID != rx.ID {
		t.Errorf("duplicate not linked: %v", gd.ReceiverID)
	}
	gr, err := e.St.DiscoveredDevices.Get(e.Ctx, rej.ID)
	must(t, err)
	if gr.ReceiverID != nil {
		t.Errorf("rejected device linked to %d", *gr.ReceiverID)
	}

	mustErr(t, e.St.DiscoveredDevices.SetState(e.Ctx, fresh.ID+100, model.DiscoveredApproved, nil), store.ErrNotFound)
	mustErr(t, e.St.DiscoveredDevices.SetState(e.Ctx, fresh.ID, "maybe", nil), store.ErrInvalid)
	mustErr(t, e.St.DiscoveredDevices.SetState(e.Ctx, fresh.ID, model.DiscoveredApproved, storetest.ID(rx.ID+100)), store.ErrConflict)
	_, err = e.St.DiscoveredDevices.Get(e.Ctx, fresh.ID+100)
	mustErr(t, err, store.ErrNotFound)
	mustErr(t, e.St.DiscoveredDevices.Upsert(e.Ctx, &model.DiscoveredDevice{ManufacturerID: shure.ID, Host: "10.9.0.5", Port: 2202, Channels: 9}), store.ErrInvalid)
}
