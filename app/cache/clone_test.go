package cache

import (
	"testing"
	"time"
)

type cloneTx struct {
	Battery *int
	Seen    time.Time
}

type cloneChannel struct {
	Name string
	Tx   *cloneTx
	Meta map[string][]int
}

type cloneReceiver struct {
	Name     string
	Channels []*cloneChannel
	Parent   *cloneReceiver // a recursive type
	hidden   int
}

func TestCloneIsDeep(t *testing.T) {
	pct := 40
	seen := time.Date(2026, 7, 14, 20, 0, 0, 0, time.UTC)
	orig := []*cloneReceiver{{
		Name:     "ULXD4Q",
		Channels: []*cloneChannel{{Name: "HH01", Tx: &cloneTx{Battery: &pct, Seen: seen}, Meta: map[string][]int{"rf": {1, 2}}}},
		Parent:   &cloneReceiver{Name: "rack"},
		hidden:   7,
	}}
	cp := clone(orig)
	*cp[0].Channels[0].Tx.Battery = 5
	cp[0].Channels[0].Name = "changed"
	cp[0].Channels[0].Meta["rf"][0] = 99
	cp[0].Parent.Name = "changed"
	cp[0].Channels = append(cp[0].Channels, &cloneChannel{})
	if pct != 40 || orig[0].Channels[0].Name != "HH01" || orig[0].Channels[0].Meta["rf"][0] != 1 ||
		orig[0].Parent.Name != "rack" || len(orig[0].Channels) != 1 {
		t.Fatalf("changing the copy changed the original: %+v", orig[0])
	}
	if !cp[0].Channels[0].Tx.Seen.Equal(seen) || cp[0].hidden != 7 {
		t.Fatalf("copy lost values: %+v", cp[0])
	}
	var nilList []*cloneReceiver
	if clone(nilList) != nil {
		t.Fatal("a nil slice came back non-nil")
	}
	if clone(42) != 42 || clone("HH01") != "HH01" {
		t.Fatal("scalars must pass through")
	}
}
