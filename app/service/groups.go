package service

import (
	"context"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// Groups holds the rules for saved board groups (number keys 1–9).
type Groups struct{ st *store.Store }

// NewGroups returns the group service.
func NewGroups(st *store.Store) *Groups { return &Groups{st: st} }

// Spacer is the slot value of a blank spacer in a group.
const Spacer = 0

// Save stores group number n with its channels in order; Spacer entries are
// blank spacers. Every channel must exist.
func (s *Groups) Save(ctx context.Context, n int, name string, slots []int64) (*model.BoardGroup, error) {
	name = strings.TrimSpace(name)
	v := validator{}
	v.check(n >= 1 && n <= 9, "number", "groups are numbered 1 to 9")
	v.check(name != "" && len(name) <= 60, "name", "give the group a name of at most 60 characters")
	if err := model.CheckLabel(name, 60); name != "" && err != nil {
		v.check(false, "name", err.Error())
	}
	v.check(len(slots) <= 200, "channels", "at most 200 entries")
	if err := v.err(); err != nil {
		return nil, err
	}
	var ids []int64
	for _, id := range slots {
		if id != Spacer {
			ids = append(ids, id)
		}
	}
	found, err := s.st.BoardGroups.ExistingChannels(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !found[id] {
			return nil, &ValidationError{Fields: map[string]string{"channels": fmt.Sprintf("there is no channel %d", id)}}
		}
	}
	g := &model.BoardGroup{Number: n, Name: name, Slots: slots}
	if err := s.st.BoardGroups.Save(ctx, g); err != nil {
		return nil, err
	}
	return g, nil
}
