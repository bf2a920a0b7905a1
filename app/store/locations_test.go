package store_test

import (
	"errors"
	"testing"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

// locTree builds
//
//	Venue ─┬─ Hall ── stage      Other (inactive root)
//	       └─ foyer ── Cloak
//
// with receivers: 1 in stage, 2 in Hall, 1 in Venue itself, 1 in Other and
// 1 nowhere.
type locTree struct {
	venue, hall, stage, foyer, cloak, other *model.Location
}

func buildLocTree(t *testing.T, e *storetest.Env) locTree {
	t.Helper()
	var l locTree
	l.venue = e.Location("Venue", nil)
	l.hall = e.Location("Hall", l.venue)
	l.stage = e.Location("stage", l.hall)
	l.foyer = e.Location("foyer", l.venue)
	l.cloak = e.Location("Cloak", l.foyer)
	l.other = e.Location("Other", nil)
	l.other.Active = false
	must(t, e.St.Locations.Update(e.Ctx, l.other))
	for _, at := range []*model.Location{l.stage, l.hall, l.hall, l.venue, l.other, nil} {
		spec := storetest.Rx{}
		if at != nil {
			spec.LocationID = &at.ID
		}
		e.Receiver(spec)
	}
	return l
}

func TestLocationQuery(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	l := buildLocTree(t, e)

	type q = *store.LocationQuery
	cases := []struct {
		name   string
		build  func(q) q
		want   []string
		counts []int // with WithDeviceCounts, same order as want
	}{
		{"all by name, case-insensitive", func(q q) q { return q }, []string{"Cloak", "foyer", "Hall", "Other", "stage", "Venue"}, nil},
		{"counts: a building counts its rooms", func(q q) q { return q.WithDeviceCounts() },
			[]string{"Cloak", "foyer", "Hall", "Other", "stage", "Venue"}, []int{0, 0, 3, 1, 1, 4}},
		{"roots", func(q q) q { return q.Roots() }, []string{"Other", "Venue"}, nil},
		{"active", func(q q) q { return q.Active() }, []string{"Cloak", "foyer", "Hall", "stage", "Venue"}, nil},
		{"active roots with counts", func(q q) q { return q.Roots().Active().WithDeviceCounts() }, []string{"Venue"}, []int{4}},
		{"roots with counts", func(q q) q { return q.WithDeviceCounts().Roots() }, []string{"Other", "Venue"}, []int{1, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, err := c.build(e.St.Locations.Query()).List(e.Ctx)
			must(t, err)
			var got []string
			for _, loc := range list {
				got = append(got, loc.Name)
			}
			sameStrings(t, "List", got, c.want)
			for i, loc := range list {
				want := 0
				if c.counts != nil && i < len(c.counts) {
					want = c.counts[i]
				}
				if loc.DeviceCount != want {
					t.Errorf("%s: DeviceCount = %d, want %d", loc.Name, loc.DeviceCount, want)
				}
				if loc.ID == 0 || loc.CreatedAt.IsZero() {
					t.Errorf("%s: columns not loaded: %+v", loc.Name, loc)
				}
			}
		})
	}

	// Moving a device updates the counts up the tree.
	rxs, err := e.St.Receivers.Query().InLocation(l.stage.ID).List(e.Ctx)
	must(t, err)
	n, err := e.St.Locations.AssignDevices(e.Ctx, &l.cloak.ID, rxs[0].ID)
	must(t, err)
	if n != 1 {
		t.Fatalf("AssignDevices = %d", n)
	}
	list, err := e.St.Locations.Query().WithDeviceCounts().List(e.Ctx)
	must(t, err)
	got := map[string]int{}
	for _, loc := range list {
		got[loc.Name] = loc.DeviceCount
	}
	for name, want := range map[string]int{"Cloak": 1, "foyer": 1, "Hall": 2, "stage": 0, "Venue": 4, "Other": 1} {
		if got[name] != want {
			t.Errorf("after move %s = %d, want %d", name, got[name], want)
		}
	}

	for _, c := range []struct {
		id          int64
		direct, kid int
	}{{l.venue.ID, 1, 2}, {l.hall.ID, 2, 1}, {l.stage.ID, 0, 0}, {l.cloak.ID, 1, 0}} {
		d, err := e.St.Locations.CountDevices(e.Ctx, c.id)
		must(t, err)
		k, err := e.St.Locations.CountChildren(e.Ctx, c.id)
		must(t, err)
		if d != c.direct || k != c.kid {
			t.Errorf("location %d: devices %d children %d, want %d %d", c.id, d, k, c.direct, c.kid)
		}
	}
}

func TestLocationsIsDescendant(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	l := buildLocTree(t, e)
	cases := []struct {
		name          string
		id, candidate int64
		want          bool
	}{
		{"itself", l.venue.ID, l.venue.ID, true},
		{"child", l.venue.ID, l.hall.ID, true},
		{"grandchild", l.venue.ID, l.stage.ID, true},
		{"grandchild via other branch", l.venue.ID, l.cloak.ID, true},
		{"parent", l.hall.ID, l.venue.ID, false},
		{"grandparent", l.stage.ID, l.venue.ID, false},
		{"sibling", l.hall.ID, l.foyer.ID, false},
		{"cousin", l.stage.ID, l.cloak.ID, false},
		{"other root", l.venue.ID, l.other.ID, false},
		{"missing", l.venue.ID, l.other.ID + 100, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := e.St.Locations.IsDescendant(e.Ctx, c.id, c.candidate)
			must(t, err)
			if got != c.want {
				t.Errorf("IsDescendant(%d, %d) = %t, want %t", c.id, c.candidate, got, c.want)
			}
		})
	}
}

func TestLocationsDeleteAndAssign(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	l := buildLocTree(t, e)
	empty := e.Location("Empty", l.other)

	cases := []struct {
		name string
		id   int64
		kind error // nil: deleted
	}{
		{"device in it", l.stage.ID, store.ErrConflict},
		{"child location (and devices)", l.hall.ID, store.ErrConflict},
		{"child location only", l.foyer.ID, store.ErrConflict},
		{"device and child", l.other.ID, store.ErrConflict},
		{"missing", empty.ID + 100, store.ErrNotFound},
		{"leaf without devices", l.cloak.ID, nil},
		{"empty leaf", empty.ID, nil},
		{"parent once its child is gone", l.foyer.ID, nil},
		{"again", l.foyer.ID, store.ErrNotFound},
	}
	for _, c := range cases {
		err := e.St.Locations.Delete(e.Ctx, c.id)
		if c.kind == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			if _, err := e.St.Locations.Get(e.Ctx, c.id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: still there (%v)", c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.kind)
		}
	}
	if n := e.Count("locations", ""); n != 4 {
		t.Errorf("locations left = %d, want 4", n)
	}

	// Emptying stage lets it go.
	rxs, err := e.St.Receivers.Query().InLocation(l.stage.ID).List(e.Ctx)
	must(t, err)
	if len(rxs) != 1 {
		t.Fatalf("receivers in stage = %d", len(rxs))
	}
	nowhere, err := e.St.Receivers.Query().List(e.Ctx)
	must(t, err)
	var unplaced int64
	for _, r := range nowhere {
		if r.LocationID == nil {
			unplaced = r.ID
		}
	}
	n, err := e.St.Locations.AssignDevices(e.Ctx, &l.hall.ID, rxs[0].ID, unplaced, unplaced+100)
	must(t, err)
	if n != 2 {
		t.Errorf("AssignDevices = %d, want 2", n)
	}
	in, err := e.St.Receivers.Query().InLocation(l.hall.ID).List(e.Ctx)
	must(t, err)
	if len(in) != 4 {
		t.Errorf("receivers in hall = %d, want 4", len(in))
	}
	must(t, e.St.Locations.Delete(e.Ctx, l.stage.ID))

	// nil takes devices out of any location.
	n, err = e.St.Locations.AssignDevices(e.Ctx, nil, unplaced)
	must(t, err)
	got, err := e.St.Receivers.Get(e.Ctx, unplaced)
	must(t, err)
	if n != 1 || got.LocationID != nil {
		t.Errorf("AssignDevices(nil) = %d, location %v", n, got.LocationID)
	}
	_, err = e.St.Locations.AssignDevices(e.Ctx, storetest.ID(l.venue.ID+100), unplaced)
	mustErr(t, err, store.ErrConflict)
	n, err = e.St.Locations.AssignDevices(e.Ctx, &l.hall.ID)
	must(t, err)
	if n != 0 {
		t.Errorf("AssignDevices() = %d", n)
	}
}

func TestLocationsNames(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	venue := e.Location("Venue", nil)
	stage := e.Location("Main Stage", venue)
	arena := e.Location("Arena", nil)
	stage2 := e.Location("main stage", arena) // same name, another parent: fine

	cases := []struct {
		name   string
		parent *model.Location
		kind   error
	}{
		{"MAIN STAGE", venue, store.ErrAlreadyExists},
		{"Main Stage", venue, store.ErrAlreadyExists},
		{"venue", nil, store.ErrAlreadyExists},
		{"ARENA", nil, store.ErrAlreadyExists},
		{"   ", nil, store.ErrInvalid},
		{"", venue, store.ErrInvalid},
	}
	for _, c := range cases {
		l := &model.Location{Name: c.name, Active: true}
		if c.parent != nil {
			l.ParentID = &c.parent.ID
		}
		err := e.St.Locations.Create(e.Ctx, l)
		if !errors.Is(err, c.kind) {
			t.Errorf("Create %q: err = %v, want %v", c.name, err, c.kind)
		}
		if c.kind == store.ErrAlreadyExists && store.ConstraintName(err) != "locations_parent_name_key" {
			t.Errorf("Create %q: constraint %q", c.name, store.ConstraintName(err))
		}
	}
	mustErr(t, e.St.Locations.Create(e.Ctx, &model.Location{Name: "Orphan", ParentID: storetest.ID(arena.ID + 100)}), store.ErrConflict)

	for q, want := range map[string]int64{
		"venue": venue.ID, "VENUE": venue.ID, "Venue": venue.ID,
		"main stage": stage.ID, // two share it: the first by id
		"ARENA":      arena.ID,
	} {
		got, err := e.St.Locations.ByName(e.Ctx, q)
		if err != nil {
			t.Errorf("ByName(%q): %v", q, err)
			continue
		}
		if got.ID != want {
			t.Errorf("ByName(%q) = %d %q, want %d", q, got.ID, got.Name, want)
		}
	}
	for _, q := range []string{"Venu", "", "Stage"} {
		_, err := e.St.Locations.ByName(e.Ctx, q)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ByName(%q): err = %v, want ErrNotFound", q, err)
		}
	}

	// Update: rename into a taken sibling name, self parent, missing row.
	stage2.ParentID = &venue.ID
	mustErr(t, e.St.Locations.Update(e.Ctx, stage2), store.ErrAlreadyExists)
	stage2.ParentID = &stage2.ID
	mustErr(t, e.St.Locations.Update(e.Ctx, stage2), store.ErrInvalid)
	stage2.ParentID = &arena.ID
	stage2.Description = "west"
	must(t, e.St.Locations.Update(e.Ctx, stage2))
	got, err := e.St.Locations.Get(e.Ctx, stage2.ID)
	must(t, err)
	if got.Description != "west" || got.ParentID == nil || *got.ParentID != arena.ID {
		t.Errorf("after Update: %+v", got)
	}
	mustErr(t, e.St.Locations.Update(e.Ctx, &model.Location{ID: stage2.ID + 100, Name: "x"}), store.ErrNotFound)
	_, err = e.St.Locations.Get(e.Ctx, stage2.ID+100)
	mustErr(t, err, store.ErrNotFound)
}

// A parent loop (which a service must prevent with IsDescendant) must not
// make the recursive queries run forever.
func TestLocationsCycleTerminates(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	a := e.Location("A", nil)
	b := e.Location("B", a)
	c := e.Location("C", b)
	e.Receiver(storetest.Rx{LocationID: &a.ID})
	e.Receiver(storetest.Rx{LocationID: &c.ID})
	below, err := e.St.Locations.IsDescendant(e.Ctx, c.ID, a.ID)
	must(t, err)
	if below {
		t.Fatal("A reported below C before the loop exists")
	}
	e.Exec("UPDATE locations SET parent_id = ? WHERE id = ?", c.ID, a.ID) // A → C → B → A

	in, err := e.St.Receivers.Query().InLocation(b.ID).Count(e.Ctx)
	must(t, err)
	if in != 2 {
		t.Errorf("InLocation in a loop = %d, want 2", in)
	}
	list, err := e.St.Locations.Query().WithDeviceCounts().List(e.Ctx)
	must(t, err)
	for _, l := range list {
		if l.DeviceCount != 2 {
			t.Errorf("%s DeviceCount = %d, want 2", l.Name, l.DeviceCount)
		}
	}
	below, err = e.St.Locations.IsDescendant(e.Ctx, c.ID, a.ID)
	must(t, err)
	if !below {
		t.Error("IsDescendant misses the loop")
	}
}
