package store_test

import (
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

func TestUserQueries(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	for _, u := range []*model.User{
		{Username: "ana", PasswordHash: "h", Role: model.RoleAdmin, Active: true},
		{Username: "Bob", PasswordHash: "h", Role: model.RoleOperator, Active: true},
		{Username: "banana", PasswordHash: "h", Role: model.RoleViewer, Active: false},
	} {
		must(t, e.St.Users.Create(e.Ctx, u))
	}
	names := func(q *store.UserQuery) []string {
		t.Helper()
		list, err := q.List(e.Ctx)
		must(t, err)
		out := []string{}
		for _, u := range list {
			out = append(out, u.Username)
		}
		return out
	}
	sameStrings(t, "all", names(e.St.Users.Query()), []string{"ana", "banana", "Bob"})
	sameStrings(t, "active", names(e.St.Users.Query().Active()), []string{"ana", "Bob"})
	sameStrings(t, "disabled", names(e.St.Users.Query().Disabled()), []string{"banana"})
	sameStrings(t, "search", names(e.St.Users.Query().Search("AN")), []string{"ana", "banana"})
	sameStrings(t, "search is not a pattern", names(e.St.Users.Query().Search("%")), nil)
	sameStrings(t, "role", names(e.St.Users.Query().WithRole(model.RoleOperator)), []string{"Bob"})
	sameStrings(t, "by role desc", names(e.St.Users.Query().OrderBy("role", true)), []string{"banana", "Bob", "ana"})
	sameStrings(t, "page 2", names(e.St.Users.Query().Paginate(store.Page{Number: 2, Size: 2})), []string{"Bob"})
	if n, err := e.St.Users.Query().Search("an").Paginate(store.Page{Number: 1, Size: 1}).Count(e.Ctx); err != nil || n != 2 {
		t.Fatalf("count = %d, %v", n, err)
	}
	_, err := e.St.Users.Query().OrderBy("password_hash", false).List(e.Ctx)
	mustErr(t, err, store.ErrInvalid)

	bob, err := e.St.Users.ByUsername(e.Ctx, "bob")
	must(t, err)
	must(t, e.St.Users.SetActive(e.Ctx, bob.ID, false))
	must(t, e.St.Users.SetPassword(e.Ctx, bob.ID, "h2"))
	got, err := e.St.Users.Get(e.Ctx, bob.ID)
	must(t, err)
	if got.Active || got.SessionEpoch != bob.SessionEpoch+2 || got.PasswordHash != "h2" {
		t.Fatalf("after disable and password: %+v (epoch was %d)", got, bob.SessionEpoch)
	}
	mustErr(t, e.St.Users.SetRole(e.Ctx, 9999, model.RoleAdmin), store.ErrNotFound)
	mustErr(t, e.St.Users.SetPassword(e.Ctx, bob.ID, ""), store.ErrInvalid)
}

func TestAuditQueries(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	u := &model.User{Username: "ana", PasswordHash: "h", Role: model.RoleAdmin, Active: true}
	must(t, e.St.Users.Create(e.Ctx, u))
	for _, ev := range []*model.AuditEvent{
		{Actor: "cli", Action: "kiosk.create", ObjectKind: "kiosk", ObjectIDs: []int64{1}, RowCount: 1},
		{Actor: "ana", UserID: &u.ID, Action: "user.create", ObjectKind: "user", ObjectIDs: []int64{2}, RowCount: 1},
		{Actor: "ana", UserID: &u.ID, Action: "kiosk.revoke", ObjectKind: "kiosk", ObjectIDs: []int64{1}, RowCount: 1},
		{Actor: "cli", Action: "group.set"},
	} {
		must(t, e.St.AuditEvents.Create(e.Ctx, ev))
	}
	actions := func(q *store.AuditQuery) []string {
		t.Helper()
		list, err := q.List(e.Ctx)
		must(t, err)
		out := []string{}
		for _, ev := range list {
			out = append(out, ev.Action)
		}
		return out
	}
	sameStrings(t, "newest first", actions(e.St.AuditEvents.Query()), []string{"group.set", "kiosk.revoke", "user.create", "kiosk.create"})
	sameStrings(t, "actor", actions(e.St.AuditEvents.Query().ByActor("ANA")), []string{"kiosk.revoke", "user.create"})
	sameStrings(t, "user", actions(e.St.AuditEvents.Query().ByUser(u.ID)), []string{"kiosk.revoke", "user.create"})
	sameStrings(t, "action", actions(e.St.AuditEvents.Query().WithAction("kiosk.create")), []string{"kiosk.create"})
	sameStrings(t, "object", actions(e.St.AuditEvents.Query().OnObject("kiosk", 1)), []string{"kiosk.revoke", "kiosk.create"})
	sameStrings(t, "future", actions(e.St.AuditEvents.Query().Since(time.Now().Add(time.Hour))), nil)
	sameStrings(t, "past", actions(e.St.AuditEvents.Query().Before(time.Now().Add(time.Hour)).Paginate(store.Page{Number: 2, Size: 3})), []string{"kiosk.create"})
	got, err := e.St.AuditEvents.Actions(e.Ctx)
	must(t, err)
	sameStrings(t, "actions", got, []string{"group.set", "kiosk.create", "kiosk.revoke", "user.create"})
	got, err = e.St.AuditEvents.Actors(e.Ctx)
	must(t, err)
	sameStrings(t, "actors", got, []string{"ana", "cli"})
	mustErr(t, e.St.AuditEvents.Create(e.Ctx, &model.AuditEvent{Actor: "cli", Action: "Bad Action"}), store.ErrInvalid)
}
