package service

import (
	"context"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// Actor is who makes a change: a user of the console, the command line, or
// (later) an API token.
type Actor struct {
	UserID *int64 // set for a user of the console
	Name   string // the username, "cli" or "api token NAME"
}

// CLI is the actor of every change made with the micboard command.
var CLI = Actor{Name: "cli"}

// UserActor is a logged-in user of the console. A user without an account
// row (id 0: an API token acting with a role) is named but not linked.
func UserActor(u *model.User) Actor {
	if u.ID == 0 {
		return Actor{Name: u.Username}
	}
	id := u.ID
	return Actor{UserID: &id, Name: u.Username}
}

// APITokenActor is a client of the API holding the token called name.
func APITokenActor(name string) Actor { return Actor{Name: "api token " + name} }

// Change describes one change for the audit log.
type Change struct {
	Action     string  // what was done: "user.create", "kiosk.revoke", ...
	ObjectKind string  // the kind of row changed: "user", "kiosk", ...
	ObjectIDs  []int64 // the rows changed
	Rows       int     // how many rows; len(ObjectIDs) when zero
	Summary    string  // before → after, in words
}

// maxSummary keeps one audit line readable.
const maxSummary = 2000

// Audit records changes in the audit log.
type Audit struct{ st *store.Store }

// NewAudit returns the audit service.
func NewAudit(st *store.Store) *Audit { return &Audit{st: st} }

// Record appends one change made by actor.
func (a *Audit) Record(ctx context.Context, actor Actor, ch Change) error {
	if ch.Rows == 0 {
		ch.Rows = len(ch.ObjectIDs)
	}
	summary := strings.ToValidUTF8(ch.Summary, "?")
	if len(summary) > maxSummary {
		summary = strings.ToValidUTF8(summary[:maxSummary], "") + "…"
	}
	name := actor.Name
	if strings.TrimSpace(name) == "" {
		name = "unknown"
	}
	e := &model.AuditEvent{
		UserID: actor.UserID, Actor: name, Action: ch.Action, ObjectKind: ch.ObjectKind,
		ObjectIDs: ch.ObjectIDs, RowCount: ch.Rows, Summary: summary,
	}
	if err := a.st.AuditEvents.Create(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", ch.Action, err)
	}
	return nil
}

// Audited runs fn in one transaction and records the change it describes
// in the same transaction, so a change is never made without its audit row
// nor recorded without being made. fn returning an error changes nothing.
func Audited(ctx context.Context, st *store.Store, actor Actor, fn func(tx *store.Store) (Change, error)) error {
	return st.InTx(ctx, func(tx *store.Store) error {
		ch, err := fn(tx)
		if err != nil {
			return err
		}
		return NewAudit(tx).Record(ctx, actor, ch)
	})
}
