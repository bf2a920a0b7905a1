package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"micboard/app/model"
	"micboard/app/store"
)

// Errors of the user rules.
var (
	// ErrBadLogin: unknown user, disabled user or wrong password; the three
	// are not told apart, so a login form does not confirm which names exist.
	ErrBadLogin = errors.New("wrong username or password")
	// ErrSetupDone: the first admin exists already; log in instead.
	ErrSetupDone = errors.New("Micboard already has users: log in instead")
	// ErrLastAdmin: the change would leave no active admin to run Micboard.
	ErrLastAdmin = errors.New("this is the last active admin: make another user admin first")
)

// BcryptCost is the work factor of new password hashes. Tests lower it;
// hashes keep their own cost, so changing it never locks anyone out.
var BcryptCost = bcrypt.DefaultCost

// Password limits: bcrypt reads at most 72 bytes, so longer passwords would
// be cut without a word.
const (
	MinPasswordLen   = 8
	MaxPasswordBytes = 72
)

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Users holds the rules for login accounts.
type Users struct {
	st  *store.Store
	now func() time.Time
}

// NewUsers returns the user service.
func NewUsers(st *store.Store) *Users { return &Users{st: st, now: time.Now} }

// UserInput describes a new user.
type UserInput struct {
	Username string
	Password string
	Role     model.Role
}

func checkUsername(v validator, name string) {
	v.check(name != "", "username", "enter a username")
	v.check(name == "" || usernameRE.MatchString(name), "username",
		"1 to 64 letters, digits, dots, dashes or underscores (no spaces)")
}

func checkPassword(v validator, pw string) {
	v.check(pw != "", "password", "enter a password")
	v.check(pw == "" || utf8.RuneCountInString(pw) >= MinPasswordLen, "password",
		fmt.Sprintf("at least %d characters", MinPasswordLen))
	v.check(len(pw) <= MaxPasswordBytes, "password", fmt.Sprintf("at most %d bytes", MaxPasswordBytes))
	v.check(pw == "" || strings.TrimSpace(pw) != "", "password", "must not be only spaces")
}

func (in *UserInput) validate() error {
	in.Username = strings.TrimSpace(in.Username)
	v := validator{}
	checkUsername(v, in.Username)
	checkPassword(v, in.Password)
	v.check(in.Role.Valid(), "role", "viewer, operator or admin")
	return v.err()
}

func hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// create inserts a validated user; a taken name is a field error.
func create(ctx context.Context, st *store.Store, in UserInput) (*model.User, error) {
	hash, err := hashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u := &model.User{Username: in.Username, PasswordHash: hash, Role: in.Role, Active: true, SessionEpoch: 1}
	if err := st.Users.Create(ctx, u); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, &ValidationError{Fields: map[string]string{"username": fmt.Sprintf("%q is taken (names ignore letter case)", in.Username)}}
		}
		return nil, err
	}
	return u, nil
}

// Create adds a user.
func (s *Users) Create(ctx context.Context, actor Actor, in UserInput) (*model.User, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var u *model.User
	err := Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		var err error
		if u, err = create(ctx, tx, in); err != nil {
			return Change{}, err
		}
		return Change{Action: "user.create", ObjectKind: "user", ObjectIDs: []int64{u.ID},
			Summary: fmt.Sprintf("created %s as %s", u.Username, u.Role)}, nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// HasUsers reports whether any account exists.
func (s *Users) HasUsers(ctx context.Context) (bool, error) {
	n, err := s.st.Users.Query().Count(ctx)
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// CreateFirstAdmin adds the first user, an admin, only while there is no
// user at all. The check and the insert run in one transaction holding a
// lock on the table, so two people setting up at once get one admin and
// one ErrSetupDone.
func (s *Users) CreateFirstAdmin(ctx context.Context, in UserInput) (*model.User, error) {
	in.Role = model.RoleAdmin
	if err := in.validate(); err != nil {
		return nil, err
	}
	var u *model.User
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		if err := tx.Users.LockTable(ctx); err != nil {
			return err
		}
		n, err := tx.Users.Query().Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrSetupDone
		}
		if u, err = create(ctx, tx, in); err != nil {
			return err
		}
		return NewAudit(tx).Record(ctx, UserActor(u), Change{Action: "user.setup", ObjectKind: "user",
			ObjectIDs: []int64{u.ID}, Summary: fmt.Sprintf("created the first admin %s", u.Username)})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// dummyHash is compared against when the user does not exist, so a login
// for an unknown name takes as long as one for a known name. It is made on
// first use: every micboard command imports this package.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("micboard-no-such-user"), BcryptCost)
	return h
})

// Authenticate checks a username and password and records the login. Any
// failure is ErrBadLogin.
func (s *Users) Authenticate(ctx context.Context, username, password string) (*model.User, error) {
	username = strings.TrimSpace(username)
	if !usernameRE.MatchString(username) || len(password) > MaxPasswordBytes {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, ErrBadLogin
	}
	u, err := s.st.Users.ByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	if err := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)); err != nil || !u.Active {
		return nil, ErrBadLogin
	}
	now := s.now()
	if err := s.st.Users.TouchLogin(ctx, u.ID, now); err != nil {
		return nil, err
	}
	u.LastLoginAt = &now
	return u, nil
}

// ByName finds a user by name, in any letter case.
func (s *Users) ByName(ctx context.Context, name string) (*model.User, error) {
	return s.st.Users.ByUsername(ctx, strings.TrimSpace(name))
}

// SetPassword changes a user's password and ends every session of theirs.
func (s *Users) SetPassword(ctx context.Context, actor Actor, id int64, password string) error {
	v := validator{}
	checkPassword(v, password)
	if err := v.err(); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		u, err := tx.Users.GetForUpdate(ctx, id)
		if err != nil {
			return Change{}, err
		}
		if err := tx.Users.SetPassword(ctx, id, hash); err != nil {
			return Change{}, err
		}
		return Change{Action: "user.password", ObjectKind: "user", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("changed the password of %s; their sessions ended", u.Username)}, nil
	})
}

// SetRole changes a user's role. The last active admin keeps theirs.
func (s *Users) SetRole(ctx context.Context, actor Actor, id int64, role model.Role) error {
	if !role.Valid() {
		return &ValidationError{Fields: map[string]string{"role": "viewer, operator or admin"}}
	}
	return Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		u, err := s.lockForAdminChange(ctx, tx, id, role != model.RoleAdmin)
		if err != nil {
			return Change{}, err
		}
		if u.Role == role {
			return Change{Action: "user.role", ObjectKind: "user", ObjectIDs: []int64{id},
				Summary: fmt.Sprintf("%s stays %s", u.Username, role)}, nil
		}
		if err := tx.Users.SetRole(ctx, id, role); err != nil {
			return Change{}, err
		}
		return Change{Action: "user.role", ObjectKind: "user", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("%s: role %s → %s", u.Username, u.Role, role)}, nil
	})
}

// Disable stops a user from logging in and ends every session of theirs.
// The last active admin cannot be disabled.
func (s *Users) Disable(ctx context.Context, actor Actor, id int64) error {
	return Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		u, err := s.lockForAdminChange(ctx, tx, id, true)
		if err != nil {
			return Change{}, err
		}
		if err := tx.Users.SetActive(ctx, id, false); err != nil {
			return Change{}, err
		}
		was := "active"
		if !u.Active {
			was = "disabled"
		}
		return Change{Action: "user.disable", ObjectKind: "user", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("%s: %s → disabled; their sessions ended", u.Username, was)}, nil
	})
}

// Enable lets a disabled user log in again.
func (s *Users) Enable(ctx context.Context, actor Actor, id int64) error {
	return Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		u, err := tx.Users.GetForUpdate(ctx, id)
		if err != nil {
			return Change{}, err
		}
		if err := tx.Users.SetActive(ctx, id, true); err != nil {
			return Change{}, err
		}
		was := "disabled"
		if u.Active {
			was = "active"
		}
		return Change{Action: "user.enable", ObjectKind: "user", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("%s: %s → active", u.Username, was)}, nil
	})
}

// lockForAdminChange loads user id for a change and, when the change takes
// away admin rights (losing), refuses it for the last active admin. The
// table lock makes two admins demoting each other at once safe.
func (s *Users) lockForAdminChange(ctx context.Context, tx *store.Store, id int64, losing bool) (*model.User, error) {
	if err := tx.Users.LockTable(ctx); err != nil {
		return nil, err
	}
	u, err := tx.Users.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if losing && u.Active && u.Role == model.RoleAdmin {
		n, err := tx.Users.Query().Active().WithRole(model.RoleAdmin).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n <= 1 {
			return nil, ErrLastAdmin
		}
	}
	return u, nil
}

// List lists users by name.
func (s *Users) List(ctx context.Context) ([]*model.User, error) { return s.st.Users.Query().List(ctx) }
