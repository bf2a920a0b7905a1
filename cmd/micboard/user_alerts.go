package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"time"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// userAlertsCmd handles `micboard user alerts NAME [on|off] [--email
// ADDRESS] [--quiet HH:MM-HH:MM|off] [--tz ZONE] [--escalation N|off]`:
// whether a user gets alert e-mail and where, their quiet hours, and their
// place in the escalation order.
func userAlertsCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user alerts", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "")
	quiet := fs.String("quiet", "", "")
	tz := fs.String("tz", "", "")
	escalation := fs.String("escalation", "", "")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, userUsage)
		}
		return fmt.Errorf("user alerts: %w", err)
	}
	settings := *quiet != "" || *tz != "" || *escalation != ""
	if len(pos) == 1 && !settings || len(pos) == 0 || len(pos) > 2 || len(pos) == 2 && pos[1] != "on" && pos[1] != "off" {
		return errors.New("user alerts: want NAME on|off, or NAME with --quiet, --tz or --escalation")
	}
	onOffGiven := len(pos) == 2
	on := onOffGiven && pos[1] == "on"
	if *email != "" {
		a, err := mail.ParseAddress(*email)
		if err != nil || a.Name != "" {
			return fmt.Errorf("user alerts: --email %q: want an address such as a2@example.org", *email)
		}
	}
	if onOffGiven && !on && *email != "" {
		return errors.New("user alerts: --email is only for on")
	}
	var qh *model.QuietHours
	if *quiet != "" && *quiet != "off" {
		q, err := model.ParseQuietHours(*quiet)
		if err != nil {
			return fmt.Errorf("user alerts: --quiet: %w", err)
		}
		qh = &q
	}
	if *tz != "" && *tz != "instance" {
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "Local" {
			return fmt.Errorf("user alerts: --tz %q: want an IANA time zone such as Europe/Berlin, or instance", *tz)
		}
	}
	var rank *int
	if *escalation != "" && *escalation != "off" {
		n, err := strconv.Atoi(*escalation)
		if err != nil || n < 1 || n > 100 {
			return fmt.Errorf("user alerts: --escalation %q: want a rank from 1 (first contact) to 100, or off", *escalation)
		}
		rank = &n
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
		s := *old
		sub = &s
		if onOffGiven {
			sub.Enabled = on
		}
		if *email != "" {
			sub.Email = *email
		}
		switch {
		case qh != nil:
			sub.QuietFrom, sub.QuietTo = &qh.From, &qh.To
		case *quiet == "off":
			sub.QuietFrom, sub.QuietTo = nil, nil
		}
		switch *tz {
		case "":
		case "instance":
			sub.TimeZone = ""
		default:
			sub.TimeZone = *tz
		}
		switch {
		case rank != nil:
			sub.EscalationRank = rank
		case *escalation == "off":
			sub.EscalationRank = nil
		}
		if (sub.Enabled || sub.EscalationRank != nil || settings) && sub.Email == "" {
			return service.Change{}, fmt.Errorf("%q has no e-mail address yet: add --email ADDRESS", u.Username)
		}
		if rank != nil {
			taken, err := tx.AlertSubscriptions.EscalationContacts(ctx)
			if err != nil {
				return service.Change{}, err
			}
			for _, c := range taken {
				if c.UserID != u.ID && *c.EscalationRank == *rank {
					return service.Change{}, fmt.Errorf("escalation rank %d is taken by user %d: choose another or take it off them first", *rank, c.UserID)
				}
			}
		}
		if err := tx.AlertSubscriptions.Set(ctx, sub); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "user.alerts", ObjectKind: "user", ObjectIDs: []int64{u.ID},
			Summary: fmt.Sprintf("alerts of %q: e-mail %s → %s (%s); %s", u.Username, onOff(old.Enabled), onOff(sub.Enabled),
				orDefault(sub.Email, "no address"), describeAlertSettings(sub))}, nil
	})
	if err != nil {
		return fmt.Errorf("user alerts: %w", err)
	}
	if sub.Enabled {
		fmt.Fprintf(stdout, "%q gets alert e-mail at %s; %s\n", u.Username, sub.Email, describeAlertSettings(sub))
	} else {
		fmt.Fprintf(stdout, "%q gets no alert e-mail; %s\n", u.Username, describeAlertSettings(sub))
	}
	return nil
}

// describeAlertSettings says a user's quiet hours and escalation rank.
func describeAlertSettings(s *model.AlertSubscription) string {
	out := "no quiet hours"
	if q, ok := s.Quiet(); ok {
		zone := s.TimeZone
		if zone == "" {
			zone = "the instance's time zone"
		}
		out = fmt.Sprintf("quiet hours %s (%s; critical alerts still sent)", q, zone)
	}
	if s.EscalationRank != nil {
		return out + fmt.Sprintf("; escalation contact %d", *s.EscalationRank)
	}
	return out + "; not an escalation contact"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
