package store_test

import (
	"testing"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

func TestChannelsUpsert(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx"}).Receiver
	other := e.Receiver(storetest.Rx{Name: "other"}).Receiver

	steps := []struct {
		name     string
		chName   string
		freq     *int
		wantName string
		wantFreq *int
	}{
		{"create", "Vox 1", storetest.Int(550125), "Vox 1", storetest.Int(550125)},
		{"rename, no frequency keeps old", "Vox 2", nil, "Vox 2", storetest.Int(550125)},
		{"new frequency", "Vox 2", storetest.Int(612000), "Vox 2", storetest.Int(612000)},
		{"a report without a name keeps the stored one", "", nil, "Vox 2", storetest.Int(612000)},
	}
	var id int64
	for _, s := range steps {
		ch := &model.Channel{ReceiverID: r.ID, Number: 1, Name: s.chName, FrequencyKHz: s.freq}
		if err := e.St.Channels.Upsert(e.Ctx, ch); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if id == 0 {
			id = ch.ID
		}
		if ch.ID != id || id == 0 {
			t.Errorf("%s: id %d, want %d", s.name, ch.ID, id)
		}
		// Returning("*") fills the struct with the stored row.
		if ch.Name != s.wantName || !eqInt(ch.FrequencyKHz, s.wantFreq) {
			t.Errorf("%s: returned name %q freq %s", s.name, ch.Name, intp(ch.FrequencyKHz))
		}
		got, err := e.St.Channels.Get(e.Ctx, id)
		must(t, err)
		if got.Name != s.wantName || !eqInt(got.FrequencyKHz, s.wantFreq) {
			t.Errorf("%s: stored name %q freq %s, want %q %s", s.name, got.Name, intp(got.FrequencyKHz), s.wantName, intp(s.wantFreq))
		}
		if n := e.Count("channels", "receiver_id = ?", r.ID); n != 1 {
			t.Errorf("%s: %d channel rows, want 1", s.name, n)
		}
	}

	// The same number on another receiver is another channel.
	och := &model.Channel{ReceiverID: other.ID, Number: 1, Name: "Other 1"}
	must(t, e.St.Channels.Upsert(e.Ctx, och))
	if och.ID == id {
		t.Fatal("other receiver's channel 1 reused the first receiver's row")
	}
	got, err := e.St.Channels.Get(e.Ctx, id)
	must(t, err)
	if got.Receiver == nil || got.Receiver.ID != r.ID || got.Receiver.Name != "rx" {
		t.Errorf("Get did not load receiver: %+v", got.Receiver)
	}
	_, err = e.St.Channels.Get(e.Ctx, och.ID+100)
	mustErr(t, err, store.ErrNotFound)

	for _, c := range []struct {
		name string
		ch   model.Channel
		kind error
	}{
		{"number 0", model.Channel{ReceiverID: r.ID, Number: 0}, store.ErrInvalid},
		{"number 9", model.Channel{ReceiverID: r.ID, Number: 9}, store.ErrInvalid},
		{"frequency 0", model.Channel{ReceiverID: r.ID, Number: 2, FrequencyKHz: storetest.Int(0)}, store.ErrInvalid},
		{"missing receiver", model.Channel{ReceiverID: other.ID + 100, Number: 1}, store.ErrConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := c.ch
			mustErr(t, e.St.Channels.Upsert(e.Ctx, &ch), c.kind)
		})
	}
	if n := e.Count("channels", ""); n != 2 {
		t.Errorf("channels = %d, want 2", n)
	}
}

func TestChannelDisplayName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, override, overrideDevice, want string
	}{
		{"DEVICE", "", "", "DEVICE"},
		{"DEVICE", "Lead Vox", "DEVICE", "Lead Vox"},
		{"RENAMED", "Lead Vox", "DEVICE", "RENAMED"},
		{"", "Lead Vox", "", "Lead Vox"},
		{"", "", "", ""},
		{"DEVICE", "", "DEVICE", "DEVICE"},
		{"device", "Lead Vox", "DEVICE", "device"},
	}
	for _, c := range cases {
		ch := model.Channel{Name: c.name, OverrideName: c.override, OverrideDeviceName: c.overrideDevice}
		if got := ch.DisplayName(); got != c.want {
			t.Errorf("DisplayName(name %q, override %q against %q) = %q, want %q", c.name, c.override, c.overrideDevice, got, c.want)
		}
	}
}

func TestChannelsSetOverrideName(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "rx"}).Receiver
	ch := &model.Channel{ReceiverID: r.ID, Number: 1, Name: "HH01 DEVICE"}
	must(t, e.St.Channels.Upsert(e.Ctx, ch))
	sib := &model.Channel{ReceiverID: r.ID, Number: 2, Name: "SIBLING"}
	must(t, e.St.Channels.Upsert(e.Ctx, sib))

	type step struct {
		name     string
		do       func() error
		wantName string // device name stored
		wantOver string
		wantDisp string
	}
	upsert := func(name string) func() error {
		return func() error {
			return e.St.Channels.Upsert(e.Ctx, &model.Channel{ReceiverID: r.ID, Number: 1, Name: name})
		}
	}
	override := func(name string) func() error {
		return func() error { return e.St.Channels.SetOverrideName(e.Ctx, ch.ID, name) }
	}
	steps := []step{
		{"no override", func() error { return nil }, "HH01 DEVICE", "", "HH01 DEVICE"},
		{"override", override("Lead Vox"), "HH01 DEVICE", "Lead Vox", "Lead Vox"},
		{"device repeats its name", upsert("HH01 DEVICE"), "HH01 DEVICE", "Lead Vox", "Lead Vox"},
		{"device renamed: override lapses", upsert("HH01 NEW"), "HH01 NEW", "Lead Vox", "HH01 NEW"},
		{"device back to old name: override holds again", upsert("HH01 DEVICE"), "HH01 DEVICE", "Lead Vox", "Lead Vox"},
		{"device renamed again", upsert("HH02 OTHER"), "HH02 OTHER", "Lead Vox", "HH02 OTHER"},
		{"override made against the new name", override("Backing"), "HH02 OTHER", "Backing", "Backing"},
		{"cleared", override(""), "HH02 OTHER", "", "HH02 OTHER"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, err := e.St.Channels.Get(e.Ctx, ch.ID)
		must(t, err)
		if got.Name != s.wantName || got.OverrideName != s.wantOver || got.DisplayName() != s.wantDisp {
			t.Errorf("%s: name %q override %q (against %q) display %q; want %q %q %q", s.name,
				got.Name, got.OverrideName, got.OverrideDeviceName, got.DisplayName(), s.wantName, s.wantOver, s.wantDisp)
		}
	}
	sg, err := e.St.Channels.Get(e.Ctx, sib.ID)
	must(t, err)
	if sg.OverrideName != "" || sg.DisplayName() != "SIBLING" {
		t.Errorf("sibling channel changed: %+v", sg)
	}
	mustErr(t, e.St.Channels.SetOverrideName(e.Ctx, sib.ID+100, "x"), store.ErrNotFound)
}

func TestChannelsDeleteAbove(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	r := e.Receiver(storetest.Rx{Name: "quad", Batteries: []storetest.Battery{
		storetest.Pct(1), storetest.Pct(2), storetest.Pct(3), storetest.Pct(4)}})
	other := e.Receiver(storetest.Rx{Name: "other", Channels: 4})
	p := e.Performer("P")
	e.Assign(p, r.Channels[3], model.PriorityNormal, true)

	steps := []struct {
		above   int
		deleted int
		left    []int
	}{
		{8, 0, []int{1, 2, 3, 4}},
		{4, 0, []int{1, 2, 3, 4}},
		{2, 2, []int{1, 2}},
		{2, 0, []int{1, 2}},
		{0, 2, nil},
	}
	for _, s := range steps {
		n, err := e.St.Channels.DeleteAbove(e.Ctx, r.Receiver.ID, s.above)
		must(t, err)
		if n != s.deleted {
			t.Errorf("DeleteAbove(%d) = %d, want %d", s.above, n, s.deleted)
		}
		chs, err := e.St.Channels.ByReceiver(e.Ctx, r.Receiver.ID)
		must(t, err)
		var nums []int
		for _, c := range chs {
			nums = append(nums, c.Number)
		}
		if len(nums) != len(s.left) {
			t.Fatalf("after DeleteAbove(%d): channels %v, want %v", s.above, nums, s.left)
		}
		for i := range nums {
			if nums[i] != s.left[i] {
				t.Fatalf("after DeleteAbove(%d): channels %v, want %v", s.above, nums, s.left)
			}
		}
		if n := e.Count("transmitters t JOIN channels c ON c.id = t.channel_id", "c.receiver_id = ?", r.Receiver.ID); n != len(s.left) {
			t.Errorf("after DeleteAbove(%d): %d transmitters, want %d", s.above, n, len(s.left))
		}
	}
	if n := e.Count("channels", "receiver_id = ?", other.Receiver.ID); n != 4 {
		t.Errorf("other receiver lost channels: %d left", n)
	}
	if n := e.Count("assignments", ""); n != 0 {
		t.Errorf("assignment of a deleted channel survived: %d", n)
	}
}

func TestChannelsAllAndByReceiver(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	a := e.Receiver(storetest.Rx{Name: "a", Batteries: []storetest.Battery{storetest.Pct(10)}, Channels: 2})
	off := e.Receiver(storetest.Rx{Name: "off", Inactive: true, Channels: 3})
	b := e.Receiver(storetest.Rx{Name: "b", Channels: 1})
	// Add a channel to a out of order, after b's.
	late := &model.Channel{ReceiverID: a.Receiver.ID, Number: 4, Name: "late"}
	must(t, e.St.Channels.Upsert(e.Ctx, late))

	all, err := e.St.Channels.All(e.Ctx)
	must(t, err)
	type key struct {
		rx  string
		num int
	}
	var got []key
	for _, ch := range all {
		if ch.Receiver == nil {
			t.Fatalf("channel %d without receiver", ch.ID)
		}
		if !ch.Receiver.Active {
			t.Errorf("All returned channel %d of inactive receiver %q", ch.Number, ch.Receiver.Name)
		}
		got = append(got, key{ch.Receiver.Name, ch.Number})
	}
	want := []key{{"a", 1}, {"a", 2}, {"a", 4}, {"b", 1}}
	if len(got) != len(want) {
		t.Fatalf("All = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("All = %v, want %v", got, want)
		}
	}
	if all[0].Transmitter == nil || !eqInt(all[0].Transmitter.BatteryPercent, storetest.Int(10)) {
		t.Errorf("All did not load transmitter: %+v", all[0].Transmitter)
	}

	// Reactivating puts the channels back on the board.
	_, err = e.St.Receivers.SetActive(e.Ctx, true, off.Receiver.ID)
	must(t, err)
	all, err = e.St.Channels.All(e.Ctx)
	must(t, err)
	if len(all) != 7 {
		t.Errorf("All after reactivating = %d channels, want 7", len(all))
	}

	chs, err := e.St.Channels.ByReceiver(e.Ctx, a.Receiver.ID)
	must(t, err)
	if len(chs) != 3 || chs[0].Number != 1 || chs[1].Number != 2 || chs[2].Number != 4 {
		t.Errorf("ByReceiver = %+v", chs)
	}
	none, err := e.St.Channels.ByReceiver(e.Ctx, b.Receiver.ID+100)
	must(t, err)
	if len(none) != 0 {
		t.Errorf("ByReceiver(missing) = %d channels", len(none))
	}
}
