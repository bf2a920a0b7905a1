package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// Channels holds the rules for channels: renaming one writes the name into
// its receiver, where every tool on the show network reads it.
type Channels struct{ st *store.Store }

// NewChannels returns the channel service.
func NewChannels(st *store.Store) *Channels { return &Channels{st: st} }

// NameWriter writes a channel's name into its receiver (the monitor's
// SetChannelName); the device layer enforces each model's length limit.
type NameWriter func(ctx context.Context, receiverID int64, channel int, name string) error

// maxChannelName bounds a name before the device is asked; receivers allow
// less (Shure 8 to 31 characters, Sennheiser 8 to 18) and say so.
const maxChannelName = 31

// ErrDeviceRefused: the receiver did not take a write, or could not be
// reached; nothing was stored.
var ErrDeviceRefused = errors.New("the receiver did not accept the change")

// Rename writes name into the channel's receiver and, once the receiver
// took it, stores it with its audit row in one transaction. Bad input and
// a refusal by the device come back as a ValidationError on "name" and
// store nothing.
func (s *Channels) Rename(ctx context.Context, actor Actor, channelID int64, name string, write NameWriter) (*model.Channel, error) {
	name = strings.TrimSpace(name)
	if err := model.CheckLabel(name, maxChannelName); err != nil {
		return nil, &ValidationError{Fields: map[string]string{"name": "the name " + err.Error()}}
	}
	ch, err := s.st.Channels.Get(ctx, channelID)
	if err != nil {
		return nil, fmt.Errorf("rename channel %d: %w", channelID, err)
	}
	if ch.Name == name {
		return nil, &ValidationError{Fields: map[string]string{"name": "that is already its name"}}
	}
	if write == nil {
		return nil, &ValidationError{Fields: map[string]string{"name": "the receiver is not being watched, so the name cannot be written to it"}}
	}
	if err := write(ctx, ch.ReceiverID, ch.Number, name); err != nil {
		return nil, &ValidationError{Fields: map[string]string{"name": fmt.Sprintf("%s: %v", ErrDeviceRefused, err)}}
	}
	old := ch.Name
	err = Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		if err := tx.Channels.SetDeviceFacts(ctx, ch.ID, name, nil); err != nil {
			return Change{}, err
		}
		return Change{
			Action: "channel.rename", ObjectKind: "channel", ObjectIDs: []int64{ch.ID},
			Summary: fmt.Sprintf("receiver %d channel %d: %q → %q (written to the receiver)", ch.ReceiverID, ch.Number, old, name),
		}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("rename channel %d: %w", channelID, err)
	}
	ch.Name = name
	return ch, nil
}
