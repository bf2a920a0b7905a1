package live

import (
	"context"
	"log/slog"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// Persister writes the board to the database, coalesced: status, names and
// battery within StateEvery, meter values at most every MeterEvery, each as
// one batch. The board never waits for it.
type Persister struct {
	Board      *Board
	Store      *store.Store
	StateEvery time.Duration // default 1 s
	MeterEvery time.Duration // default 5 s
	Logger     *slog.Logger

	names map[int64]string
}

// Run persists until ctx ends, then flushes what is pending.
func (p *Persister) Run(ctx context.Context) {
	if p.StateEvery <= 0 {
		p.StateEvery = time.Second
	}
	if p.MeterEvery <= 0 {
		p.MeterEvery = 5 * time.Second
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	p.names = map[int64]string{}
	sub := p.Board.Subscribe()
	defer sub.Close()
	stateTick := time.NewTicker(p.StateEvery)
	defer stateTick.Stop()
	lastMeter := time.Now()
	dirtyState := map[int64]bool{}
	dirtyMeter := map[int64]bool{}
	collect := func() {
		for id, c := range sub.Take() {
			if c&ChangeState != 0 {
				dirtyState[id] = true
			}
			if c&ChangeMeter != 0 {
				dirtyMeter[id] = true
			}
		}
	}
	flush := func(ctx context.Context, meters bool) {
		collect()
		ids := make([]int64, 0, len(dirtyState)+len(dirtyMeter))
		for id := range dirtyState {
			ids = append(ids, id)
		}
		if meters {
			for id := range dirtyMeter {
				if !dirtyState[id] {
					ids = append(ids, id)
				}
			}
			clear(dirtyMeter)
			lastMeter = time.Now()
		}
		clear(dirtyState)
		if len(ids) > 0 {
			if err := p.write(ctx, ids); err != nil {
				p.Logger.Warn("persist board", "channels", len(ids), "err", err)
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			flush(context.WithoutCancel(ctx), true)
			return
		case <-sub.Ready():
			collect()
		case <-stateTick.C:
			flush(ctx, time.Since(lastMeter) >= p.MeterEvery)
		}
	}
}

// write stores the current state of the given channels.
func (p *Persister) write(ctx context.Context, ids []int64) error {
	rows := make([]*model.Transmitter, 0, len(ids))
	for _, id := range ids {
		t, ok := p.Board.Tile(id)
		if !ok {
			continue
		}
		if p.names[id] != t.DeviceName {
			if err := p.Store.Channels.SetDeviceFacts(ctx, id, t.DeviceName, t.FrequencyKHz); err != nil {
				return err
			}
			p.names[id] = t.DeviceName
		}
		rows = append(rows, transmitterRow(&t))
	}
	return p.Store.Transmitters.Upsert(ctx, rows...)
}

func transmitterRow(t *Tile) *model.Transmitter {
	row := &model.Transmitter{
		ChannelID: t.ChannelID, Model: t.TxModel, BatteryBars: t.Battery.Bars, BatteryPercent: t.Battery.Percent,
		BatteryMinutes: t.Battery.Minutes, BatteryType: t.BatteryType, Antenna: t.Diversity,
		AudioLevelDBFS: t.AudioDBFS, TxOffsetDB: t.TxOffsetDB, Muted: t.Muted, Status: string(t.Status),
		LastSeenAt: t.LastHeard,
	}
	if q := t.Quality; q != nil && *q >= 0 && *q <= 100 {
		row.Quality = q
	}
	if v, ok := t.RFMax(); ok {
		row.RFLevelDBm = &v
	}
	return row
}
