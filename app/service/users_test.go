package service_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

func init() { service.BcryptCost = bcrypt.MinCost }

func auditActions(t *testing.T, st *store.Store) []string {
	t.Helper()
	events, err := st.AuditEvents.Query().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(events))
	for i, e := range events {
		out[len(events)-1-i] = e.Actor + " " + e.Action
	}
	return out
}

func TestCreateUserValidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	users := service.NewUsers(st)
	tests := []struct {
		name  string
		in    service.UserInput
		field string
	}{
		{"empty name", service.UserInput{Password: "long enough", Role: model.RoleViewer}, "username"},
		{"space in name", service.UserInput{Username: "ana maria", Password: "long enough", Role: model.RoleViewer}, "username"},
		{"name too long", service.UserInput{Username: strings.Repeat("a", 65), Password: "long enough", Role: model.RoleViewer}, "username"},
		{"short password", service.UserInput{Username: "ana", Password: "short", Role: model.RoleViewer}, "password"},
		{"password over 72 bytes", service.UserInput{Username: "ana", Password: strings.Repeat("p", 73), Role: model.RoleViewer}, "password"},
		{"blank password", service.UserInput{Username: "ana", Password: "          ", Role: model.RoleViewer}, "password"},
		{"unknown role", service.UserInput{Username: "ana", Password: "long enough", Role: "root"}, "role"},
	}
	for _, tt := range tests {
		_, err := users.Create(ctx, service.CLI, tt.in)
		var ve *service.ValidationError
		if !errors.As(err, &ve) || ve.Fields[tt.field] == "" {
			t.Errorf("%s: err = %v, want a message for %s", tt.name, err, tt.field)
		}
	}
	if _, err := users.Create(ctx, service.CLI, service.UserInput{Username: "Ana", Password: "long enough", Role: model.RoleOperator}); err != nil {
		t.Fatal(err)
	}
	_, err := users.Create(ctx, service.CLI, service.UserInput{Username: "ANA", Password: "long enough", Role: model.RoleViewer})
	var ve *service.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Fields["username"], "taken") {
		t.Fatalf("duplicate in another letter case: %v", err)
	}
	if n := countRows(t, st, "users"); n != 1 {
		t.Fatalf("%d users stored, want 1", n)
	}
	if got := auditActions(t, st); len(got) != 1 || got[0] != "cli user.create" {
		t.Fatalf("audit = %q", got)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	users := service.NewUsers(st)
	u, err := users.Create(ctx, service.CLI, service.UserInput{Username: "ana", Password: "correct horse", Role: model.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash == "correct horse" || !strings.HasPrefix(u.PasswordHash, "$2") {
		t.Fatalf("password stored as %q", u.PasswordHash)
	}
	got, err := users.Authenticate(ctx, "ANA", "correct horse")
	if err != nil || got.ID != u.ID || got.LastLoginAt == nil {
		t.Fatalf("login: %+v %v", got, err)
	}
	for _, bad := range [][2]string{{"ana", "wrong horse"}, {"bob", "correct horse"}, {"", ""}, {"a b", "x"}} {
		if _, err := users.Authenticate(ctx, bad[0], bad[1]); !errors.Is(err, service.ErrBadLogin) {
			t.Errorf("login %q/%q: %v, want ErrBadLogin", bad[0], bad[1], err)
		}
	}
	// A disabled user cannot log in, even with the right password.
	if _, err := users.Create(ctx, service.CLI, service.UserInput{Username: "boss", Password: "long enough", Role: model.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := users.Disable(ctx, service.CLI, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Authenticate(ctx, "ana", "correct horse"); !errors.Is(err, service.ErrBadLogin) {
		t.Fatalf("disabled user logged in: %v", err)
	}
}

func TestDisableAndPasswordEndSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	users := service.NewUsers(st)
	admin, _ := users.Create(ctx, service.CLI, service.UserInput{Username: "boss", Password: "long enough", Role: model.RoleAdmin})
	u, _ := users.Create(ctx, service.CLI, service.UserInput{Username: "ana", Password: "long enough", Role: model.RoleViewer})
	epoch := func() int64 {
		got, err := st.Users.Get(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.SessionEpoch
	}
	e0 := epoch()
	if err := users.SetPassword(ctx, service.UserActor(admin), u.ID, "new password"); err != nil {
		t.Fatal(err)
	}
	if e1 := epoch(); e1 <= e0 {
		t.Fatalf("password change kept epoch %d", e1)
	}
	if _, err := users.Authenticate(ctx, "ana", "new password"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	e1 := epoch()
	if err := users.Disable(ctx, service.UserActor(admin), u.ID); err != nil {
		t.Fatal(err)
	}
	if e2 := epoch(); e2 <= e1 {
		t.Fatalf("disable kept epoch %d", e2)
	}
	if err := users.Enable(ctx, service.UserActor(admin), u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Authenticate(ctx, "ana", "new password"); err != nil {
		t.Fatalf("after enable: %v", err)
	}
	if err := users.SetPassword(ctx, service.CLI, u.ID, "short"); !service.IsValidation(err) {
		t.Fatalf("short password accepted: %v", err)
	}
	want := []string{"cli user.create", "cli user.create", "boss user.password", "boss user.disable", "boss user.enable"}
	if got := auditActions(t, st); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit = %q, want %q", got, want)
	}
	events, _ := st.AuditEvents.Query().WithAction("user.disable").List(ctx)
	if len(events) != 1 || events[0].UserID == nil || *events[0].UserID != admin.ID || events[0].RowCount != 1 ||
		len(events[0].ObjectIDs) != 1 || events[0].ObjectIDs[0] != u.ID || !strings.Contains(events[0].Summary, "active → disabled") {
		t.Fatalf("disable event = %+v", events)
	}
}

func TestLastAdminStays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	users := service.NewUsers(st)
	a, _ := users.Create(ctx, service.CLI, service.UserInput{Username: "a", Password: "long enough", Role: model.RoleAdmin})
	if err := users.Disable(ctx, service.CLI, a.ID); !errors.Is(err, service.ErrLastAdmin) {
		t.Fatalf("disable last admin: %v", err)
	}
	if err := users.SetRole(ctx, service.CLI, a.ID, model.RoleViewer); !errors.Is(err, service.ErrLastAdmin) {
		t.Fatalf("demote last admin: %v", err)
	}
	b, _ := users.Create(ctx, service.CLI, service.UserInput{Username: "b", Password: "long enough", Role: model.RoleAdmin})
	// Two admins demoting each other at once: one of them stays admin.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range []int64{a.ID, b.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = users.SetRole(ctx, service.CLI, id, model.RoleOperator)
		}()
	}
	wg.Wait()
	if n, _ := st.Users.Query().Active().WithRole(model.RoleAdmin).Count(ctx); n != 1 {
		t.Fatalf("%d admins left (errs %v), want 1", n, errs)
	}
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("errs = %v, want exactly one ErrLastAdmin", errs)
	}
}

func TestFirstAdminOnlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	users := service.NewUsers(st)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = users.CreateFirstAdmin(ctx, service.UserInput{Username: "admin" + string(rune('a'+i)), Password: "long enough"})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, service.ErrSetupDone):
			t.Errorf("err = %v", err)
		}
	}
	list, _ := users.List(ctx)
	if ok != 1 || len(list) != 1 || list[0].Role != model.RoleAdmin {
		t.Fatalf("%d set-ups succeeded, users %d", ok, len(list))
	}
	if got := auditActions(t, st); len(got) != 1 || got[0] != list[0].Username+" user.setup" {
		t.Fatalf("audit = %q", got)
	}
}

func TestAuditedRollsBackBoth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	boom := errors.New("boom")
	err := service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
		if _, err := tx.Kiosks.List(ctx); err != nil {
			return service.Change{}, err
		}
		return service.Change{}, boom
	})
	if !errors.Is(err, boom) || countRows(t, st, "audit_events") != 0 {
		t.Fatalf("err %v, %d audit rows", err, countRows(t, st, "audit_events"))
	}
	// A change whose audit row cannot be written is not made either.
	err = service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
		_, err := service.NewUsers(tx).Create(ctx, service.CLI, service.UserInput{Username: "x", Password: "long enough", Role: model.RoleViewer})
		return service.Change{Action: "Not Valid"}, err
	})
	if err == nil || countRows(t, st, "users") != 0 {
		t.Fatalf("err %v, %d users", err, countRows(t, st, "users"))
	}
}
