package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

const groupUsage = `Usage:
  micboard group set N NAME CHANNEL...   save group N (1-9): channels in order
  micboard group list
  micboard group remove N

A CHANNEL is a slot id as written into the receiver (HH01), a channel id
(#12), or - for a blank spacer. On the board, number keys open the groups.
`

// groupCmd handles `micboard group set|list|remove`.
func groupCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, groupUsage)
		return errors.New("group: want a subcommand: set, list or remove")
	}
	sub, args := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "help" {
		fmt.Fprint(stdout, groupUsage)
		return nil
	}
	if sub != "set" && sub != "list" && sub != "remove" {
		return fmt.Errorf("group: unknown subcommand %q: want set, list or remove", sub)
	}
	var number int
	if sub != "list" {
		if len(args) == 0 {
			return fmt.Errorf("group %s: want the group number 1-9", sub)
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > 9 {
			return fmt.Errorf("group %s: %q is not a group number 1-9", sub, args[0])
		}
		number, args = n, args[1:]
	}
	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	st := store.New(bdb)
	channels, err := st.Channels.All(ctx)
	if err != nil {
		return err
	}

	switch sub {
	case "set":
		if len(args) < 2 {
			return errors.New("group set: want N NAME CHANNEL...")
		}
		slots, err := resolveChannels(channels, args[1:])
		if err != nil {
			return fmt.Errorf("group set: %w", err)
		}
		var g *model.BoardGroup
		err = service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
			before := "(none)"
			if old, err := tx.BoardGroups.ByNumber(ctx, number); err == nil {
				before = fmt.Sprintf("%q with %d entries", old.Name, len(old.Slots))
			} else if !errors.Is(err, store.ErrNotFound) {
				return service.Change{}, err
			}
			var err error
			if g, err = service.NewGroups(tx).Save(ctx, number, args[0], slots); err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "group.set", ObjectKind: "board_group", ObjectIDs: []int64{g.ID},
				Summary: fmt.Sprintf("group %d: %s → %q with %d entries", g.Number, before, g.Name, len(g.Slots))}, nil
		})
		if err != nil {
			return fmt.Errorf("group set: %w", err)
		}
		fmt.Fprintf(stdout, "group %d %q saved with %d entries\n", g.Number, g.Name, len(g.Slots))
	case "list":
		groups, err := st.BoardGroups.List(ctx)
		if err != nil {
			return err
		}
		names := map[int64]string{}
		for _, ch := range channels {
			names[ch.ID] = ch.DisplayName()
		}
		for _, g := range groups {
			parts := make([]string, len(g.Slots))
			for i, id := range g.Slots {
				parts[i] = "-"
				if id != service.Spacer {
					parts[i] = fmt.Sprintf("%s (#%d)", orDefault(names[id], "?"), id)
				}
			}
			fmt.Fprintf(stdout, "%d  %s: %s\n", g.Number, g.Name, strings.Join(parts, ", "))
		}
		if len(groups) == 0 {
			fmt.Fprintln(stdout, "no groups yet: micboard group set 1 Band HH01 HH02 - BP01")
		}
	case "remove":
		err := service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
			old, err := tx.BoardGroups.ByNumber(ctx, number)
			if err != nil {
				return service.Change{}, err
			}
			if err := tx.BoardGroups.Delete(ctx, number); err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "group.remove", ObjectKind: "board_group", ObjectIDs: []int64{old.ID},
				Summary: fmt.Sprintf("group %d %q with %d entries → (none)", number, old.Name, len(old.Slots))}, nil
		})
		if err != nil {
			return fmt.Errorf("group remove: %w", err)
		}
		fmt.Fprintf(stdout, "group %d removed\n", number)
	}
	return nil
}

// resolveChannels turns slot ids, #ids and - into channel ids.
func resolveChannels(channels []*model.Channel, refs []string) ([]int64, error) {
	bySlot := map[string][]int64{}
	for _, ch := range channels {
		if slot, _ := model.SplitSlotName(ch.DisplayName()); slot != "" {
			key := strings.ToUpper(slot)
			bySlot[key] = append(bySlot[key], ch.ID)
		}
	}
	out := make([]int64, 0, len(refs))
	for _, ref := range refs {
		switch {
		case ref == "-":
			out = append(out, service.Spacer)
		case strings.HasPrefix(ref, "#"):
			id, err := strconv.ParseInt(ref[1:], 10, 64)
			if err != nil || id < 1 {
				return nil, fmt.Errorf("%q is not a channel id", ref)
			}
			out = append(out, id)
		default:
			ids := bySlot[strings.ToUpper(ref)]
			switch len(ids) {
			case 0:
				return nil, fmt.Errorf("no channel has the slot %q", ref)
			case 1:
				out = append(out, ids[0])
			default:
				return nil, fmt.Errorf("slot %q is on %d channels; name one by id (#%d)", ref, len(ids), ids[0])
			}
		}
	}
	return out, nil
}
