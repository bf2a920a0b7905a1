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
	// Fence, when several instances share the database, limits the writes
	// to receivers this instance holds a lease on, checked in the same
	// transaction (nil: one instance writes everything).
	Fence store.Fence

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
	failing := false
	collect := func() {
		for id, c := range sub.Take() {
			if c&ChangeState != 0 {
				dirtyState[id] = true
			}
			if c&(ChangeMeter|ChangeRuntime) != 0 {
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
		if len(ids) == 0 {
			return
		}
		if err := p.write(ctx, ids); err != nil && ctx.Err() == nil {
			// Keep them dirty: the board holds their latest state, so what
			// waits is bounded by the number of channels and nothing is
			// lost while the database is away; it is written on its return.
			for _, id := range ids {
				dirtyState[id] = true
			}
			if !failing {
				p.Logger.Warn("persist board: keeping changes until the database answers", "channels", len(ids), "err", err)
			}
			failing = true
			return
		}
		if failing {
			p.Logger.Info("persist board: database answers again; pending changes written", "channels", len(ids))
		}
		failing = false
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
// A database that hangs instead of refusing must not stop the persister
// from collecting; the next flush tries again.
const writeTimeout = 10 * time.Second

func (p *Persister) write(ctx context.Context, ids []int64) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	tiles := p.Board.TilesByID(ids)
	byRx := map[int64][]*Tile{}
	rxs := make([]int64, 0, 8)
	for i := range tiles {
		t := &tiles[i]
		if p.Fence != nil {
			if _, ok := p.Fence.Fence(t.ReceiverID); !ok {
				continue // another instance watches it and writes it
			}
		}
		if _, ok := byRx[t.ReceiverID]; !ok {
			rxs = append(rxs, t.ReceiverID)
		}
		byRx[t.ReceiverID] = append(byRx[t.ReceiverID], t)
	}
	if len(rxs) == 0 {
		return nil
	}
	named := map[int64]string{}
	err := p.Store.WriteFenced(ctx, p.Fence, rxs, func(st *store.Store, rxs []int64) error {
		rows := make([]*model.Transmitter, 0, len(tiles))
		for _, rx := range rxs {
			for _, t := range byRx[rx] {
				if p.names[t.ChannelID] != t.DeviceName {
					if err := st.Channels.SetDeviceFacts(ctx, t.ChannelID, t.DeviceName, t.FrequencyKHz); err != nil {
						return err
					}
					named[t.ChannelID] = t.DeviceName
				}
				rows = append(rows, transmitterRow(t))
			}
		}
		return st.Transmitters.Upsert(ctx, rows...)
	})
	if err != nil {
		return err
	}
	for id, name := range named {
		p.names[id] = name
	}
	return nil
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
