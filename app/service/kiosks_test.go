package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

func TestKioskTokenLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	ks := service.NewKiosks(st)

	k, token, err := ks.Create(ctx, service.KioskInput{Name: "Monitor world", ViewQuery: "?status=attention", ShowRF: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(token) < 40 || k.ViewQuery != "status=attention" || k.TileSize != model.TileLarge || k.HeartbeatSeconds != 30 || k.PageSeconds != 10 {
		t.Fatalf("created %+v with token %q", k, token)
	}
	if string(k.TokenHash) == token {
		t.Fatal("the token is stored in clear")
	}
	got, err := ks.Authenticate(ctx, token)
	if err != nil || got.ID != k.ID {
		t.Fatalf("authenticate: %v %v", got, err)
	}
	// Another valid-looking token: the first character changed.
	other := "A" + token[1:]
	if token[0] == 'A' {
		other = "B" + token[1:]
	}
	for _, bad := range []string{"", "x", other, "../../etc/passwd", token + token} {
		if _, err := ks.Authenticate(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	if err := ks.Heartbeat(ctx, k.ID, "10.0.0.9", "TV"); err != nil {
		t.Fatal(err)
	}
	list, _ := ks.List(ctx)
	if len(list) != 1 || list[0].LastSeenAt == nil || !service.Alive(list[0], time.Now()) || list[0].LastSeenAddr != "10.0.0.9" {
		t.Fatalf("after heartbeat: %+v", list)
	}
	if service.Alive(list[0], time.Now().Add(2*time.Minute)) {
		t.Fatal("a display silent for 4 heartbeats counts as alive")
	}

	if _, _, err := ks.Create(ctx, service.KioskInput{Name: "monitor WORLD"}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate active name: %v", err)
	}
	// Settings change in place: the same token, a new updated_at.
	set := service.KioskInput{Name: "Monitor world", ViewQuery: "status=attention", ShowRF: true, TileSize: model.TileSmall, Columns: 4, PageSeconds: 3}
	for _, bad := range []int{2, 121, -1} {
		in := set
		in.PageSeconds = bad
		if _, _, err := ks.Update(ctx, service.CLI, k.ID, in); !service.IsValidation(err) {
			t.Errorf("page interval %d: %v", bad, err)
		}
	}
	updated, changes, err := ks.Update(ctx, service.CLI, k.ID, set)
	if err != nil || len(changes) != 3 || !updated.UpdatedAt.After(k.UpdatedAt) {
		t.Fatalf("update: %+v %q %v", updated, changes, err)
	}
	if got, _ := ks.Authenticate(ctx, token); got.PageSeconds != 3 || got.TileSize != model.TileSmall || got.Columns != 4 || !got.UpdatedAt.Equal(updated.UpdatedAt) {
		t.Fatalf("stored %+v", got)
	}
	if again, changes, err := ks.Update(ctx, service.CLI, k.ID, set); err != nil || changes != nil || !again.UpdatedAt.Equal(updated.UpdatedAt) {
		t.Fatalf("the same settings again: %q %v", changes, err)
	}
	if events, _ := st.AuditEvents.Query().ByActor("cli").List(ctx); len(events) != 1 || events[0].Action != "kiosk.update" {
		t.Fatalf("audit: %+v", events)
	}
	if _, err := ks.Revoke(ctx, "MONITOR world"); err != nil {
		t.Fatal(err)
	}
	got, err = ks.Authenticate(ctx, token)
	if !errors.Is(err, service.ErrKioskRevoked) || got == nil || got.Name != "Monitor world" {
		t.Fatalf("revoked token: %v %v", got, err)
	}
	if _, err := ks.Revoke(ctx, "Monitor world"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, _, err := ks.Update(ctx, service.CLI, k.ID, set); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("settings of a revoked display: %v", err)
	}
	// The name is free again once revoked.
	if _, _, err := ks.Create(ctx, service.KioskInput{Name: "Monitor world"}); err != nil {
		t.Fatal(err)
	}
}

func TestKioskValidation(t *testing.T) {
	t.Parallel()
	ks := service.NewKiosks(newStore(t))
	cases := map[string]service.KioskInput{
		"name":         {Name: " "},
		"columns":      {Name: "a", Columns: 30},
		"size":         {Name: "a", TileSize: "xl"},
		"heartbeat":    {Name: "a", Heartbeat: time.Second},
		"view":         {Name: "a", ViewQuery: "a=%zz"},
		"page_seconds": {Name: "a", PageSeconds: 121},
	}
	for field, in := range cases {
		_, _, err := ks.Create(context.Background(), in)
		var ve *service.ValidationError
		if !errors.As(err, &ve) || ve.Fields[field] == "" {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestGroupsSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	rx := register(t, st, quad("10.0.0.5"))
	g := service.NewGroups(st)
	a, b := rx.Channels[2].ID, rx.Channels[0].ID
	saved, err := g.Save(ctx, 3, "Band", []int64{a, service.Spacer, b})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := st.BoardGroups.ByNumber(ctx, 3)
	if again.Name != "Band" || len(again.Slots) != 3 || again.Slots[0] != a || again.Slots[1] != service.Spacer || again.Slots[2] != b || saved.ID != again.ID {
		t.Fatalf("stored %+v", again)
	}
	if _, err := g.Save(ctx, 3, "Band v2", []int64{b}); err != nil {
		t.Fatal(err)
	}
	list, _ := st.BoardGroups.List(ctx)
	if len(list) != 1 || list[0].Name != "Band v2" {
		t.Fatalf("replace: %+v", list)
	}
	for _, bad := range []struct {
		n     int
		name  string
		slots []int64
	}{{0, "x", nil}, {10, "x", nil}, {4, "", nil}, {4, "x", []int64{99999}}} {
		if _, err := g.Save(ctx, bad.n, bad.name, bad.slots); !service.IsValidation(err) {
			t.Errorf("save %d %q: %v", bad.n, bad.name, err)
		}
	}
}
