package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Transmitters is the repository of transmitter state, one row per channel.
type Transmitters struct {
	db bun.IDB
	rc *readCache
}

// TransmitterQuery is a chainable transmitter filter.
type TransmitterQuery struct {
	db      bun.IDB
	rc      *readCache
	tags    tagSet
	live    bool // the answer moves with the clock: never cached
	filters []func(*bun.SelectQuery) *bun.SelectQuery
}

// Query starts a transmitter query.
func (r *Transmitters) Query() *TransmitterQuery {
	return &TransmitterQuery{db: r.db, rc: r.rc, tags: tagSet{tagTransmitters}}
}

func (q *TransmitterQuery) where(f func(*bun.SelectQuery) *bun.SelectQuery) *TransmitterQuery {
	q.filters = append(q.filters, f)
	return q
}

// WithLowBattery keeps transmitters whose battery grades low or worse under
// th (model.Battery.Grade): model.StatusThresholds selects what the board
// calls REPLACE or CRITICAL, model.LowAt(15) "at or below 15 %". An unknown
// battery is never low.
func (q *TransmitterQuery) WithLowBattery(th model.BatteryThresholds) *TransmitterQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.WhereGroup(" AND ", lowBattery(th)) })
}

// Silent keeps transmitters not heard within d, including ones never heard.
func (q *TransmitterQuery) Silent(d time.Duration) *TransmitterQuery {
	q.live = true
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("tx.last_seen_at IS NULL OR tx.last_seen_at < now() - make_interval(secs => ?)", seconds(d))
	})
}

// OnActiveReceivers keeps transmitters whose receiver is being watched.
func (q *TransmitterQuery) OnActiveReceivers() *TransmitterQuery {
	q.tags.add(tagChannels, tagReceivers)
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("EXISTS (SELECT 1 FROM channels c JOIN receivers r ON r.id = c.receiver_id WHERE c.id = tx.channel_id AND r.active)")
	})
}

// List runs the query, ordered by channel.
func (q *TransmitterQuery) List(ctx context.Context) ([]*model.Transmitter, error) {
	var out []*model.Transmitter
	s := q.db.NewSelect().Model(&out)
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	s = s.Order("tx.channel_id")
	run := func(ctx context.Context) ([]*model.Transmitter, error) {
		if err := s.Scan(ctx); err != nil {
			return nil, wrap(err, "list transmitters")
		}
		return out, nil
	}
	if q.live {
		return run(ctx)
	}
	return cached(ctx, q.rc, "transmitters", s, nil, ttlReceivers, q.tags, run)
}

// Get loads one transmitter.
func (r *Transmitters) Get(ctx context.Context, id int64) (*model.Transmitter, error) {
	tx := new(model.Transmitter)
	if err := r.db.NewSelect().Model(tx).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load transmitter %d", id)
	}
	return tx, nil
}

// ByChannel loads the transmitter of a channel.
func (r *Transmitters) ByChannel(ctx context.Context, channelID int64) (*model.Transmitter, error) {
	tx := new(model.Transmitter)
	if err := r.db.NewSelect().Model(tx).Where("channel_id = ?", channelID).Scan(ctx); err != nil {
		return nil, wrap(err, "load transmitter of channel %d", channelID)
	}
	return tx, nil
}

// Ensure creates an empty transmitter row for a channel if there is none.
func (r *Transmitters) Ensure(ctx context.Context, channelID int64) error {
	defer r.rc.changed(ctx, tagTransmitters)
	_, err := r.db.NewInsert().Model(&model.Transmitter{ChannelID: channelID, Status: "UNKNOWN"}).
		On("CONFLICT (channel_id) DO NOTHING").Exec(ctx)
	return wrap(err, "ensure transmitter of channel %d", channelID)
}

// Upsert writes the transmitter state of many channels in one statement,
// the shape coalesced writes from the board take.
func (r *Transmitters) Upsert(ctx context.Context, txs ...*model.Transmitter) error {
	defer r.rc.changed(ctx, tagTransmitters)
	if len(txs) == 0 {
		return nil
	}
	_, err := r.db.NewInsert().Model(&txs).
		On("CONFLICT (channel_id) DO UPDATE").
		Set("model = EXCLUDED.model").
		Set("battery_bars = EXCLUDED.battery_bars").
		Set("battery_percent = EXCLUDED.battery_percent").
		Set("battery_minutes = EXCLUDED.battery_minutes").
		Set("battery_type = EXCLUDED.battery_type").
		Set("rf_level_dbm = EXCLUDED.rf_level_dbm").
		Set("antenna = EXCLUDED.antenna").
		Set("audio_level_dbfs = EXCLUDED.audio_level_dbfs").
		Set("quality = EXCLUDED.quality").
		Set("tx_offset_db = EXCLUDED.tx_offset_db").
		Set("muted = EXCLUDED.muted").
		Set("status = EXCLUDED.status").
		Set("last_seen_at = coalesce(EXCLUDED.last_seen_at, tx.last_seen_at)").
		Set("updated_at = now()").
		Returning("id").Exec(ctx)
	return wrap(err, "upsert %d transmitters", len(txs))
}

// BatteryUpdate is a battery report; nil fields mean "the device does not
// know" and are stored as NULL.
type BatteryUpdate struct {
	Bars    *int
	Percent *int
	Minutes *int
	Type    string
}

// UpdateBattery writes the battery fields of one channel's transmitter,
// creating the row when missing.
func (r *Transmitters) UpdateBattery(ctx context.Context, channelID int64, b BatteryUpdate, seen time.Time) error {
	defer r.rc.changed(ctx, tagTransmitters)
	tx := &model.Transmitter{
		ChannelID: channelID, BatteryBars: b.Bars, BatteryPercent: b.Percent,
		BatteryMinutes: b.Minutes, BatteryType: b.Type, Status: "UNKNOWN",
	}
	if b.Bars != nil || b.Percent != nil {
		tx.LastSeenAt = &seen
	}
	_, err := r.db.NewInsert().Model(tx).
		On("CONFLICT (channel_id) DO UPDATE").
		Set("battery_bars = EXCLUDED.battery_bars").
		Set("battery_percent = EXCLUDED.battery_percent").
		Set("battery_minutes = EXCLUDED.battery_minutes").
		Set("battery_type = CASE WHEN EXCLUDED.battery_type <> '' THEN EXCLUDED.battery_type ELSE tx.battery_type END").
		Set("last_seen_at = coalesce(EXCLUDED.last_seen_at, tx.last_seen_at)").
		Set("updated_at = now()").Exec(ctx)
	return wrap(err, "update battery of channel %d", channelID)
}
