package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// userAlertsCmd handles `micboard user alerts NAME on [--email ADDRESS] | off`:
// whether a user gets alert e-mail, and where.
func userAlertsCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user alerts", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "")
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, userUsage)
			}
			return fmt.Errorf("user alerts: %w", err)
		}
		if args = fs.Args(); len(args) > 0 {
			pos, args = append(pos, args[0]), args[1:]
		}
	}
	if len(pos) != 2 || (pos[1] != "on" && pos[1] != "off") {
		return errors.New("user alerts: want NAME on|off")
	}
	on := pos[1] == "on"
	if *email != "" {
		a, err := mail.ParseAddress(*email)
		if err != nil || a.Name != "" {
			return fmt.Errorf("user alerts: --email %q: want an address such as a2@example.org", *email)
		}
	}
	if !on && *email != "" {
		return errors.New("user alerts: --email is only for on")
	}

	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	st := store.New(bdb)
	u, err := service.NewUsers(st).ByName(ctx, pos[0])
	if err != nil {
		return fmt.Errorf("user alerts: %w", err)
	}
	var sub *model.AlertSubscription
	err = service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
		old, err := tx.AlertSubscriptions.Get(ctx, u.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			old = &model.AlertSubscription{UserID: u.ID}
		case err != nil:
			return service.Change{}, err
		}
		sub = &model.AlertSubscription{UserID: u.ID, Email: old.Email, Enabled: on}
		if *email != "" {
			sub.Email = *email
		}
		if on && sub.Email == "" {
			return service.Change{}, fmt.Errorf("%q has no e-mail address yet: add --email ADDRESS", u.Username)
		}
		if err := tx.AlertSubscriptions.Set(ctx, sub); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "user.alerts", ObjectKind: "user", ObjectIDs: []int64{u.ID},
			Summary: fmt.Sprintf("alert e-mail of %q: %s → %s (%s)", u.Username, onOff(old.Enabled), onOff(on), orDefault(sub.Email, "no address"))}, nil
	})
	if err != nil {
		return fmt.Errorf("user alerts: %w", err)
	}
	if on {
		fmt.Fprintf(stdout, "%q gets alert e-mail at %s\n", u.Username, sub.Email)
	} else {
		fmt.Fprintf(stdout, "%q gets no more alert e-mail\n", u.Username)
	}
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
