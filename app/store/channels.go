package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Channels is the repository of receiver channels.
type Channels struct {
	db bun.IDB
	rc *readCache
}

// Get loads one channel with its receiver and transmitter.
func (r *Channels) Get(ctx context.Context, id int64) (*model.Channel, error) {
	ch := new(model.Channel)
	err := r.db.NewSelect().Model(ch).Relation("Receiver").Relation("Transmitter").
		Where("ch.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "load channel %d", id)
	}
	return ch, nil
}

// ByReceiver lists a receiver's channels in number order.
func (r *Channels) ByReceiver(ctx context.Context, receiverID int64) ([]*model.Channel, error) {
	var out []*model.Channel
	err := r.db.NewSelect().Model(&out).Relation("Transmitter").
		Where("ch.receiver_id = ?", receiverID).Order("ch.number").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "list channels of receiver %d", receiverID)
	}
	return out, nil
}

// All lists every channel of active receivers, for loading the board.
func (r *Channels) All(ctx context.Context) ([]*model.Channel, error) {
	var out []*model.Channel
	err := r.db.NewSelect().Model(&out).Relation("Receiver").Relation("Transmitter").
		Where("receiver.active").Order("ch.receiver_id", "ch.number").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "list channels")
	}
	return out, nil
}

// Upsert creates the channel (receiver, number) or updates its name and
// frequency, and returns its ID. Running it twice creates nothing twice.
func (r *Channels) Upsert(ctx context.Context, ch *model.Channel) error {
	defer r.rc.changed(ctx, tagChannels)
	_, err := r.db.NewInsert().Model(ch).
		On("CONFLICT (receiver_id, number) DO UPDATE").
		// A report without a name keeps the stored one.
		Set("name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE ch.name END").
		Set("frequency_khz = coalesce(EXCLUDED.frequency_khz, ch.frequency_khz)").
		Set("updated_at = now()").
		Returning("*").Exec(ctx)
	if err != nil {
		return wrap(err, "upsert channel %d of receiver %d", ch.Number, ch.ReceiverID)
	}
	return nil
}

// SetOverrideName sets the name Micboard shows instead of the device's own;
// it holds while the device keeps reporting the name it has now.
func (r *Channels) SetOverrideName(ctx context.Context, id int64, name string) error {
	defer r.rc.changed(ctx, tagChannels)
	res, err := r.db.NewUpdate().Model((*model.Channel)(nil)).
		Set("override_name = ?", name).Set("override_device_name = name").Set("updated_at = now()").
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "set override name of channel %d", id)
	}
	return rowsOrNotFound(res, "set override name of channel %d", id)
}

// DeleteAbove removes channels numbered above n (a receiver reported fewer
// channels than before).
func (r *Channels) DeleteAbove(ctx context.Context, receiverID int64, n int) (int, error) {
	defer r.rc.changed(ctx, tagChannels, tagTransmitters)
	res, err := r.db.NewDelete().Model((*model.Channel)(nil)).
		Where("receiver_id = ? AND number > ?", receiverID, n).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("trim channels of receiver %d: %w", receiverID, mapError(err))
	}
	k, _ := res.RowsAffected()
	return int(k), nil
}

// SetDeviceFacts stores what the device says a channel is called and tuned
// to, as reported live.
func (r *Channels) SetDeviceFacts(ctx context.Context, id int64, name string, frequencyKHz *int) error {
	defer r.rc.changed(ctx, tagChannels)
	_, err := r.db.NewUpdate().Model((*model.Channel)(nil)).
		Set("name = ?", name).Set("frequency_khz = coalesce(?, frequency_khz)", frequencyKHz).Set("updated_at = now()").
		Where("id = ?", id).Where("name IS DISTINCT FROM ? OR frequency_khz IS DISTINCT FROM coalesce(?, frequency_khz)", name, frequencyKHz).
		Exec(ctx)
	return wrap(err, "store device facts of channel %d", id)
}
