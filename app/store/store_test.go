package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	alice := &model.User{Username: "Alice", PasswordHash: "hash-a", Role: model.RoleAdmin, Active: true}
	must(t, e.St.Users.Create(e.Ctx, alice))
	if alice.ID == 0 || alice.CreatedAt.IsZero() {
		t.Fatalf("Create did not fill %+v", alice)
	}

	cases := []struct {
		name       string
		user       model.User
		kind       error
		constraint string
	}{
		{"same name lower case", model.User{Username: "alice", PasswordHash: "x", Role: model.RoleViewer}, store.ErrAlreadyExists, "users_username_key"},
		{"same name upper case", model.User{Username: "ALICE", PasswordHash: "x", Role: model.RoleViewer}, store.ErrAlreadyExists, "users_username_key"},
		{"space in name", model.User{Username: "bad name", PasswordHash: "x", Role: model.RoleViewer}, store.ErrInvalid, "users_username_check"},
		{"empty name", model.User{Username: "", PasswordHash: "x", Role: model.RoleViewer}, store.ErrInvalid, "users_username_check"},
		{"unknown role", model.User{Username: "root", PasswordHash: "x", Role: "root"}, store.ErrInvalid, "users_role_check"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := c.user
			err := e.St.Users.Create(e.Ctx, &u)
			mustErr(t, err, c.kind)
			if got := store.ConstraintName(err); got != c.constraint {
				t.Errorf("ConstraintName = %q, want %q", got, c.constraint)
			}
		})
	}
	bob := &model.User{Username: "bob.smith-2", PasswordHash: "hash-b", Role: model.RoleOperator, Active: true}
	must(t, e.St.Users.Create(e.Ctx, bob))
	if n := e.Count("users", ""); n != 2 {
		t.Fatalf("users = %d, want 2", n)
	}

	for q, want := range map[string]int64{"alice": alice.ID, "ALICE": alice.ID, "Alice": alice.ID, "BOB.SMITH-2": bob.ID} {
		u, err := e.St.Users.ByUsername(e.Ctx, q)
		if err != nil {
			t.Errorf("ByUsername(%q): %v", q, err)
			continue
		}
		if u.ID != want {
			t.Errorf("ByUsername(%q) = %d, want %d", q, u.ID, want)
		}
	}
	u, err := e.St.Users.ByUsername(e.Ctx, "alice")
	must(t, err)
	if u.Username != "Alice" || u.PasswordHash != "hash-a" || u.Role != model.RoleAdmin || !u.Active {
		t.Errorf("ByUsername = %+v", u)
	}
	for _, q := range []string{"alic", "", "al%"} {
		_, err := e.St.Users.ByUsername(e.Ctx, q)
		mustErr(t, err, store.ErrNotFound)
	}

	u.Role = model.RoleViewer
	u.Active = false
	must(t, e.St.Users.Update(e.Ctx, u))
	got, err := e.St.Users.Get(e.Ctx, u.ID)
	must(t, err)
	if got.Role != model.RoleViewer || got.Active || got.Username != "Alice" {
		t.Errorf("after Update: %+v", got)
	}
	bob.Username = "ALICE"
	mustErr(t, e.St.Users.Update(e.Ctx, bob), store.ErrAlreadyExists)
	mustErr(t, e.St.Users.Update(e.Ctx, &model.User{ID: bob.ID + 100, Username: "ghost", Role: model.RoleViewer}), store.ErrNotFound)
	_, err = e.St.Users.Get(e.Ctx, bob.ID+100)
	mustErr(t, err, store.ErrNotFound)
}

func TestManufacturers(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	list, err := e.St.Manufacturers.List(e.Ctx, false)
	must(t, err)
	var codes []string
	for _, m := range list {
		codes = append(codes, m.Code)
	}
	sameStrings(t, "seeded", codes, []string{"sennheiser", "shure"}) // by name

	cases := []struct {
		code, name, protocol string
		port                 int
	}{
		{"shure", "Shure", "tcp", 2202},
		{"sennheiser", "Sennheiser", "ssc-udp", 45},
	}
	for _, c := range cases {
		m, err := e.St.Manufacturers.ByCode(e.Ctx, c.code)
		must(t, err)
		var cfg struct {
			Protocol    string `json:"protocol"`
			DefaultPort int    `json:"default_port"`
		}
		if err := json.Unmarshal(m.Config, &cfg); err != nil {
			t.Fatalf("%s config %s: %v", c.code, m.Config, err)
		}
		if m.Name != c.name || !m.Active || cfg.Protocol != c.protocol || cfg.DefaultPort != c.port {
			t.Errorf("ByCode(%q) = %+v config %+v", c.code, m, cfg)
		}
		byID, err := e.St.Manufacturers.Get(e.Ctx, m.ID)
		must(t, err)
		if byID.Code != c.code {
			t.Errorf("Get(%d) = %q, want %q", m.ID, byID.Code, c.code)
		}
	}
	for _, code := range []string{"akg", "", "Shure", "SHURE"} {
		m, err := e.St.Manufacturers.ByCode(e.Ctx, code)
		mustErr(t, err, store.ErrNotFound)
		if m != nil {
			t.Errorf("ByCode(%q) returned %+v", code, m)
		}
	}
	_, err = e.St.Manufacturers.Get(e.Ctx, 999)
	mustErr(t, err, store.ErrNotFound)

	e.Exec("UPDATE manufacturers SET active = false WHERE code = 'sennheiser'")
	active, err := e.St.Manufacturers.List(e.Ctx, true)
	must(t, err)
	if len(active) != 1 || active[0].Code != "shure" {
		t.Errorf("active manufacturers = %+v", active)
	}
}

func TestStoreInTx(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	boom := errors.New("boom")

	counts := func() [3]int {
		return [3]int{e.Count("locations", ""), e.Count("receivers", ""), e.Count("users", "")}
	}
	writeAll := func(tx *store.Store, tag string) error {
		loc := &model.Location{Name: "Loc " + tag, Active: true}
		if err := tx.Locations.Create(e.Ctx, loc); err != nil {
			return err
		}
		mf, err := tx.Manufacturers.ByCode(e.Ctx, "shure")
		if err != nil {
			return err
		}
		rx := &model.Receiver{ManufacturerID: mf.ID, DeviceType: model.TypeULXD, Host: "h-" + tag, Port: 2202, LocationID: &loc.ID, Active: true}
		if err := tx.Receivers.Create(e.Ctx, rx); err != nil {
			return err
		}
		return tx.Users.Create(e.Ctx, &model.User{Username: "u-" + tag, PasswordHash: "x", Role: model.RoleViewer})
	}

	t.Run("error rolls back every write", func(t *testing.T) {
		err := e.St.InTx(e.Ctx, func(tx *store.Store) error {
			if err := writeAll(tx, "rollback"); err != nil {
				return err
			}
			// Inside, the writes are visible through tx but not outside it.
			if n, err := tx.Receivers.Query().Count(e.Ctx); err != nil || n != 1 {
				return fmt.Errorf("inside tx count = %d, %v", n, err)
			}
			if n, err := e.St.Receivers.Query().Count(e.Ctx); err != nil || n != 0 {
				return fmt.Errorf("outside tx count = %d, %v (tx not isolated)", n, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if got := counts(); got != [3]int{} {
			t.Errorf("rows after rollback = %v, want none", got)
		}
	})

	t.Run("domain error rolls back earlier writes", func(t *testing.T) {
		err := e.St.InTx(e.Ctx, func(tx *store.Store) error {
			if err := writeAll(tx, "dup"); err != nil {
				return err
			}
			return tx.Users.Create(e.Ctx, &model.User{Username: "U-DUP", PasswordHash: "x", Role: model.RoleViewer})
		})
		mustErr(t, err, store.ErrAlreadyExists)
		if got := counts(); got != [3]int{} {
			t.Errorf("rows after rollback = %v, want none", got)
		}
	})

	t.Run("nested InTx reuses the transaction", func(t *testing.T) {
		var inner *store.Store
		err := e.St.InTx(e.Ctx, func(tx *store.Store) error {
			if err := writeAll(tx, "outer"); err != nil {
				return err
			}
			err := tx.InTx(e.Ctx, func(tx2 *store.Store) error {
				inner = tx2
				if tx2 != tx {
					return errors.New("nested InTx made a new store")
				}
				// The nested store sees the outer, uncommitted rows.
				if _, err := tx2.Locations.ByName(e.Ctx, "loc outer"); err != nil {
					return fmt.Errorf("nested cannot see outer writes: %w", err)
				}
				return writeAll(tx2, "inner")
			})
			if err != nil {
				return err
			}
			if got := counts(); got != [3]int{} {
				return fmt.Errorf("nested InTx committed early: %v", got)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if inner == nil {
			t.Fatal("nested fn did not run")
		}
		if got := counts(); got != [3]int{} {
			t.Errorf("rows after outer rollback = %v, want none (nested writes must roll back too)", got)
		}
	})

	t.Run("nested error fails the outer transaction", func(t *testing.T) {
		err := e.St.InTx(e.Ctx, func(tx *store.Store) error {
			if err := writeAll(tx, "outer2"); err != nil {
				return err
			}
			return tx.InTx(e.Ctx, func(tx2 *store.Store) error { return boom })
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if got := counts(); got != [3]int{} {
			t.Errorf("rows = %v, want none", got)
		}
	})

	t.Run("nil commits", func(t *testing.T) {
		err := e.St.InTx(e.Ctx, func(tx *store.Store) error {
			if err := writeAll(tx, "a"); err != nil {
				return err
			}
			return tx.InTx(e.Ctx, func(tx2 *store.Store) error { return writeAll(tx2, "b") })
		})
		must(t, err)
		if got := counts(); got != [3]int{2, 2, 2} {
			t.Errorf("rows after commit = %v, want 2 each", got)
		}
		if _, ok := e.St.DB().(interface{ Close() error }); !ok {
			t.Errorf("pool store DB() = %T, want the *bun.DB", e.St.DB())
		}
	})
}

func TestConstraintNameAndErrors(t *testing.T) {
	t.Parallel()
	if store.ConstraintName(nil) != "" || store.ConstraintName(errors.New("x")) != "" || store.ConstraintName(store.ErrNotFound) != "" {
		t.Error("ConstraintName of a plain error is not empty")
	}
	ce := &store.ConstraintError{Kind: store.ErrConflict, Constraint: "c_key"}
	wrapped := fmt.Errorf("doing it: %w", ce)
	if !errors.Is(wrapped, store.ErrConflict) || errors.Is(wrapped, store.ErrNotFound) {
		t.Error("ConstraintError does not unwrap to its kind")
	}
	if store.ConstraintName(wrapped) != "c_key" || ce.Error() != "conflict (c_key)" {
		t.Errorf("ConstraintName = %q, Error = %q", store.ConstraintName(wrapped), ce.Error())
	}
	if (&store.ConstraintError{Kind: store.ErrInvalid}).Error() != "invalid value" {
		t.Error("ConstraintError without constraint name")
	}
}
