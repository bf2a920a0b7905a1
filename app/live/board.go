package live

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"micboard/app/device"
	"micboard/app/model"
	"micboard/app/store"
)

// Options tune a Board.
type Options struct {
	// GreyUnassigned shows channels without a performer as UNASSIGNED.
	GreyUnassigned bool
	// HistoryWindow is how much history charts keep (default 30 min) and
	// HistoryStep how often a point is kept (default 10 s).
	HistoryWindow time.Duration
	HistoryStep   time.Duration
	// Now is the clock (tests move it by hand).
	Now func() time.Time
}

// Board holds every channel's live state.
type Board struct {
	opts Options

	mu      sync.RWMutex
	tiles   map[int64]*Tile
	journal []journalEntry          // ring: the change of version v at v % len
	byRx    map[int64]map[int]int64 // receiver → channel number → channel id
	history map[int64]*ring
	version uint64

	hub hub
}

// NewBoard returns an empty board.
func NewBoard(opts Options) *Board {
	if opts.HistoryWindow <= 0 {
		opts.HistoryWindow = 30 * time.Minute
	}
	if opts.HistoryStep <= 0 {
		opts.HistoryStep = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Board{
		opts:    opts,
		tiles:   map[int64]*Tile{},
		byRx:    map[int64]map[int]int64{},
		history: map[int64]*ring{},
		journal: make([]journalEntry, journalSize),
	}
}

// Load fills the board from the database: every channel of every active
// receiver with its last stored transmitter state and assignment. Channels
// already on the board keep their live values.
func (b *Board) Load(ctx context.Context, st *store.Store) error {
	rxs, err := st.Receivers.Query().Active().WithChannels().WithRelations().List(ctx)
	if err != nil {
		return fmt.Errorf("load board: %w", err)
	}
	asg, err := st.Assignments.Query().Active().List(ctx)
	if err != nil {
		return fmt.Errorf("load board assignments: %w", err)
	}
	performers := map[int64]string{}
	for _, a := range asg {
		if a.Performer != nil {
			performers[a.ChannelID] = a.Performer.Name
		}
	}
	seen := map[int64]bool{}
	for _, rx := range rxs {
		seen[rx.ID] = true
		b.loadReceiver(rx, performers)
	}
	b.mu.Lock()
	var gone []int64
	for rxID := range b.byRx {
		if !seen[rxID] {
			gone = append(gone, rxID)
		}
	}
	b.mu.Unlock()
	for _, id := range gone {
		b.RemoveReceiver(id)
	}
	return nil
}

// LoadReceiver (re)loads one receiver's channels, after it was registered or
// edited.
func (b *Board) LoadReceiver(ctx context.Context, st *store.Store, receiverID int64) error {
	rx, err := st.Receivers.Get(ctx, receiverID)
	if err != nil {
		return fmt.Errorf("load receiver %d onto the board: %w", receiverID, err)
	}
	if !rx.Active {
		b.RemoveReceiver(receiverID)
		return nil
	}
	performers := map[int64]string{}
	for _, ch := range rx.Channels {
		a, err := st.Assignments.ActiveForChannel(ctx, ch.ID)
		if err == nil && a.Performer != nil {
			performers[ch.ID] = a.Performer.Name
		}
	}
	b.loadReceiver(rx, performers)
	return nil
}

func (b *Board) loadReceiver(rx *model.Receiver, performers map[int64]string) {
	now := b.opts.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	nums := map[int]int64{}
	for _, ch := range rx.Channels {
		nums[ch.Number] = ch.ID
		t, ok := b.tiles[ch.ID]
		if !ok {
			t = &Tile{ChannelID: ch.ID, Online: rx.Online}
			if !rx.Online {
				// Offline before this start: since it was last heard.
				t.OfflineSince = rx.LastSeenAt
			}
			b.tiles[ch.ID] = t
			b.history[ch.ID] = newRing(int(b.opts.HistoryWindow / b.opts.HistoryStep))
			if tx := ch.Transmitter; tx != nil {
				t.Battery = model.Battery{Bars: tx.BatteryBars, Percent: tx.BatteryPercent, Minutes: tx.BatteryMinutes}
				t.LastBattery = t.Battery
				t.LastHeard = tx.LastSeenAt
				t.TxModel, t.BatteryType, t.Muted = tx.Model, tx.BatteryType, tx.Muted
				t.Quality, t.TxOffsetDB, t.AudioDBFS = tx.Quality, tx.TxOffsetDB, tx.AudioLevelDBFS
				if tx.RFLevelDBm != nil {
					t.RFLevelDBm = []float64{*tx.RFLevelDBm}
				}
				t.Diversity = tx.Antenna
			}
		}
		t.ReceiverID, t.Number = rx.ID, ch.Number
		// A name heard live is fresher than the stored one.
		if !ok || t.DeviceName == "" {
			t.DeviceName = ch.Name
		}
		t.overrideName, t.overrideFor = ch.OverrideName, ch.OverrideDeviceName
		t.Performer = performers[ch.ID]
		t.Assigned = t.Performer != ""
		t.rename()
		t.ReceiverName, t.Model, t.DeviceType, t.Host, t.LocationID = rx.Name, rx.Model, rx.DeviceType, rx.Host, rx.LocationID
		if rx.Manufacturer != nil {
			t.Vendor = rx.Manufacturer.Code
		}
		if ch.FrequencyKHz != nil && t.FrequencyKHz == nil {
			t.FrequencyKHz = ch.FrequencyKHz
		}
		b.touch(t, now, ChangeState)
	}
	// Channels the receiver no longer has leave the board.
	for n, id := range b.byRx[rx.ID] {
		if _, ok := nums[n]; !ok {
			delete(b.tiles, id)
			delete(b.history, id)
		}
	}
	b.byRx[rx.ID] = nums
}

// RemoveReceiver takes a receiver's channels off the board.
func (b *Board) RemoveReceiver(receiverID int64) {
	b.mu.Lock()
	ids := b.byRx[receiverID]
	delete(b.byRx, receiverID)
	for _, id := range ids {
		delete(b.tiles, id)
		delete(b.history, id)
		b.record(id, ChangeState)
	}
	b.mu.Unlock()
	for _, id := range ids {
		b.hub.publish(id, ChangeState)
	}
}

// health derives a tile's health at now with the one definition in
// app/model (PROTOCOLS.md §3).
func (b *Board) health(t *Tile, now time.Time) model.Health {
	return model.DeriveHealth(model.StatusInput{
		Now: now, ReceiverOnline: t.Online, Battery: t.Battery, LastBattery: t.LastBattery,
		LastHeard: t.LastHeard, LastPeakAt: t.LastPeakAt, Assigned: t.Assigned, GreyUnassigned: b.opts.GreyUnassigned,
		NoBattery: !t.DeviceType.ReportsBattery(),
	})
}

// touch recomputes a tile's status, bumps its version and journals the
// change, which becomes a state change when the status moved. A clip's
// pulse starting or ending over an unchanged colour is a meter change: it
// is drawn with the meters, and a singer who clips every few seconds must
// not resend her tile each time. Callers hold mu and publish the returned
// change afterwards.
func (b *Board) touch(t *Tile, now time.Time, c Change) Change {
	before, beforeBase := t.Status, t.Base
	h := b.health(t, now)
	t.Status, t.Base = h.Status, h.Base
	switch {
	case t.Base != beforeBase:
		c |= ChangeState
	case t.Status != before && (before == model.StatusAudioPeak || t.Status == model.StatusAudioPeak):
		c |= ChangeMeter
	case t.Status != before:
		c |= ChangeState
	}
	t.Version = b.record(t.ChannelID, c)
	if c&ChangeState != 0 {
		t.StateVersion = t.Version
	}
	t.UpdatedAt = now
	return c
}

// Apply merges a receiver's update into its tiles and publishes what
// changed. It returns the numbers of channels the board does not know, so
// the monitor can register them.
func (b *Board) Apply(receiverID int64, r device.Reading) (unknown []int) {
	now := r.At
	if now.IsZero() {
		now = b.opts.Now()
	}
	type pub struct {
		id int64
		c  Change
	}
	var pubs []pub
	b.mu.Lock()
	nums := b.byRx[receiverID]
	// Anything heard from a receiver means it answers: all its channels are
	// online, not only the ones this update mentions.
	for _, id := range nums {
		if t := b.tiles[id]; t != nil && (!t.Online || t.UnwatchedSince != nil) {
			t.Online, t.OfflineSince, t.UnwatchedSince = true, nil, nil
			b.touch(t, now, ChangeState)
			pubs = append(pubs, pub{id, ChangeState})
		}
	}
	if r.Name.Set {
		if name, ok := r.Name.Get(); ok {
			for _, id := range nums {
				if t := b.tiles[id]; t != nil && t.ReceiverName != name {
					t.ReceiverName = name
					b.touch(t, now, ChangeState)
					pubs = append(pubs, pub{id, ChangeState})
				}
			}
		}
	}
	for n, cr := range r.Channels {
		id, ok := nums[n]
		t := b.tiles[id]
		if !ok || t == nil {
			unknown = append(unknown, n)
			continue
		}
		c := applyChannel(t, cr, now)
		if c == 0 {
			continue
		}
		c = b.touch(t, now, c)
		b.history[id].add(now, t, b.opts.HistoryStep)
		pubs = append(pubs, pub{id, c})
	}
	b.mu.Unlock()
	for _, p := range pubs {
		b.hub.publish(p.id, p.c)
	}
	sort.Ints(unknown)
	return unknown
}

// applyChannel copies the facts an update carries into a tile and says what
// kind of change it made.
func applyChannel(t *Tile, cr *device.ChannelReading, now time.Time) Change {
	var c Change
	state := func(changed bool) {
		if changed {
			c |= ChangeState
		}
	}
	if v, ok := cr.Name.Get(); ok && v != t.DeviceName {
		t.DeviceName = v
		t.rename()
		state(true)
	}
	if cr.FrequencyKHz.Set {
		state(setIntPtr(&t.FrequencyKHz, cr.FrequencyKHz))
	}
	if cr.BatteryBars.Set || cr.BatteryPercent.Set || cr.BatteryMinutes.Set {
		nb := t.Battery
		if cr.BatteryBars.Set {
			setIntPtr(&nb.Bars, cr.BatteryBars)
		}
		if cr.BatteryPercent.Set {
			setIntPtr(&nb.Percent, cr.BatteryPercent)
		}
		if cr.BatteryMinutes.Set {
			setIntPtr(&nb.Minutes, cr.BatteryMinutes)
			if t.Runtime != cr.BatteryRuntime {
				t.Runtime = cr.BatteryRuntime
				state(true)
			}
		}
		if !sameBattery(nb, t.Battery) {
			if sameBars(nb, t.Battery) {
				c |= ChangeRuntime
			} else {
				state(true)
			}
			t.Battery = nb
		}
	}
	if t.Battery.Known() {
		t.LastBattery = t.Battery
		n := now
		t.LastHeard = &n
	}
	if v, ok := cr.BatteryType.Get(); ok && v != t.BatteryType {
		t.BatteryType = v
		state(true)
	}
	if cr.TxModel.Set {
		v, _ := cr.TxModel.Get()
		if v != t.TxModel {
			t.TxModel = v
			state(true)
		}
	}
	if cr.TxOffsetDB.Set {
		state(setIntPtr(&t.TxOffsetDB, cr.TxOffsetDB))
	}
	if v, ok := cr.Muted.Get(); ok && v != t.Muted {
		t.Muted = v
		state(true)
	}
	if cr.RFLevelDBm != nil {
		t.RFLevelDBm = append(t.RFLevelDBm[:0], cr.RFLevelDBm...)
		c |= ChangeMeter
	}
	if v, ok := cr.Diversity.Get(); ok && v != t.Diversity {
		t.Diversity = v
		c |= ChangeMeter
	}
	if v, ok := cr.AudioLevelDBFS.Get(); ok {
		t.AudioDBFS = &v
		c |= ChangeMeter
	}
	if v, ok := cr.AudioPeakDBFS.Get(); ok {
		t.PeakDBFS = &v
		c |= ChangeMeter
	}
	if peak, ok := cr.AudioPeak.Get(); ok && peak {
		n := now
		t.LastPeakAt = &n
		c |= ChangeMeter
	}
	if cr.Quality.Set {
		changed := setIntPtr(&t.Quality, cr.Quality)
		t.QualityMax = cr.QualityMax
		if changed {
			c |= ChangeMeter
		}
	}
	return c | applyInEar(t, cr)
}

// setIntPtr stores an optional int (nil for unknown) and reports a change.
func setIntPtr(dst **int, o device.Opt[int]) bool {
	v, ok := o.Get()
	if !ok {
		if *dst == nil {
			return false
		}
		*dst = nil
		return true
	}
	if *dst != nil && **dst == v {
		return false
	}
	*dst = &v
	return true
}

func sameInt(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// sameBars reports two readings of the same kind (bars, percent, minutes
// each present in both or neither) that light the same bars: a pack
// counting down its minutes or its percent, which changes only the text
// beside the bars. Touch still makes it a state change when the status
// moves with it.
func sameBars(a, b model.Battery) bool {
	if (a.Bars == nil) != (b.Bars == nil) || (a.Percent == nil) != (b.Percent == nil) || (a.Minutes == nil) != (b.Minutes == nil) {
		return false
	}
	na, oka := a.BarsLeft()
	nb, okb := b.BarsLeft()
	return oka && okb && na == nb
}

func sameBattery(a, b model.Battery) bool {
	return sameInt(a.Bars, b.Bars) && sameInt(a.Percent, b.Percent) && sameInt(a.Minutes, b.Minutes)
}

// SetOnline marks every channel of a receiver online or offline. Either
// way this instance's monitor watches the receiver: it is no longer
// unwatched.
func (b *Board) SetOnline(receiverID int64, online bool) {
	now := b.opts.Now()
	var ids []int64
	b.mu.Lock()
	for _, id := range b.byRx[receiverID] {
		t := b.tiles[id]
		if t == nil || (t.Online == online && t.UnwatchedSince == nil) {
			continue
		}
		if t.Online != online {
			t.Online, t.OfflineSince = online, nil
			if !online {
				at := now
				t.OfflineSince = &at
			}
		}
		t.UnwatchedSince = nil
		b.touch(t, now, ChangeState)
		ids = append(ids, id)
	}
	b.mu.Unlock()
	for _, id := range ids {
		b.hub.publish(id, ChangeState)
	}
}

// SetUnwatched marks the channels of receivers nobody watches (the
// instance holding their leases stopped beating), since when: each keeps
// its last state and colour, shown greyed, and its status (what counts and
// alerts read) is unchanged. A channel already marked keeps its first
// since. A watcher speaking again (Apply, ApplyRemote, SetOnline) or
// SetWatched clears the mark.
func (b *Board) SetUnwatched(receiverIDs []int64, since time.Time) {
	b.setUnwatched(receiverIDs, &since)
}

// SetWatched clears the unwatched mark of receivers: someone watches them
// again.
func (b *Board) SetWatched(receiverIDs []int64) { b.setUnwatched(receiverIDs, nil) }

func (b *Board) setUnwatched(receiverIDs []int64, since *time.Time) {
	now := b.opts.Now()
	var ids []int64
	b.mu.Lock()
	for _, rx := range receiverIDs {
		for _, id := range b.byRx[rx] {
			t := b.tiles[id]
			if t == nil || (t.UnwatchedSince == nil) == (since == nil) {
				continue
			}
			if since != nil {
				at := *since
				t.UnwatchedSince = &at
			} else {
				t.UnwatchedSince = nil
			}
			b.touch(t, now, ChangeState)
			ids = append(ids, id)
		}
	}
	b.mu.Unlock()
	for _, id := range ids {
		b.hub.publish(id, ChangeState)
	}
}

// Tick re-derives statuses that change with time alone (a clip that ended,
// a silent transmitter that counts as off after 30 minutes).
func (b *Board) Tick() {
	now := b.opts.Now()
	changed := map[int64]Change{}
	b.mu.Lock()
	for id, t := range b.tiles {
		if h := b.health(t, now); h.Status != t.Status || h.Base != t.Base {
			changed[id] = b.touch(t, now, 0)
		}
	}
	b.mu.Unlock()
	for id, c := range changed {
		b.hub.publish(id, c)
	}
}

// Run ticks the board every second until ctx ends.
func (b *Board) Run(ctx context.Context) {
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			b.Tick()
		}
	}
}

// Tile returns a snapshot of one channel.
func (b *Board) Tile(channelID int64) (Tile, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t, ok := b.tiles[channelID]
	if !ok {
		return Tile{}, false
	}
	return t.clone(), true
}

// TilesByID returns snapshots of the listed channels the board still holds,
// all taken under one read lock, so a reader of many changes does not
// contend with the device readers once per tile.
func (b *Board) TilesByID(ids []int64) []Tile {
	return b.TilesByIDInto(make([]Tile, 0, len(ids)), ids)
}

// TilesByIDInto is TilesByID writing into dst, whose tiles and RF slices
// it reuses: a reader that looks at every metered channel several times a
// second (the stream hub) keeps one buffer instead of allocating a board's
// worth of snapshots each time. The snapshots are dst's until its next use.
func (b *Board) TilesByIDInto(dst []Tile, ids []int64) []Tile {
	dst = dst[:0]
	b.mu.RLock()
	for _, id := range ids {
		t, ok := b.tiles[id]
		if !ok {
			continue
		}
		var rf []float64
		if len(dst) < cap(dst) {
			rf = dst[:len(dst)+1][len(dst)].RFLevelDBm[:0]
		}
		dst = append(dst, *t)
		dst[len(dst)-1].RFLevelDBm = append(rf, t.RFLevelDBm...)
	}
	b.mu.RUnlock()
	return dst
}

// Tiles returns snapshots of every channel, by receiver then channel number.
func (b *Board) Tiles() []Tile {
	b.mu.RLock()
	out := make([]Tile, 0, len(b.tiles))
	for _, t := range b.tiles {
		out = append(out, t.clone())
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].ReceiverID != out[j].ReceiverID {
			return out[i].ReceiverID < out[j].ReceiverID
		}
		return out[i].Number < out[j].Number
	})
	return out
}

// ChannelID maps a receiver's channel number to its channel id.
func (b *Board) ChannelID(receiverID int64, number int) (int64, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	id, ok := b.byRx[receiverID][number]
	return id, ok
}

// History returns the kept history points of a channel, oldest first.
func (b *Board) History(channelID int64) []Point {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if r := b.history[channelID]; r != nil {
		return r.points()
	}
	return nil
}

// Subscribe registers a subscriber; call Close when done.
func (b *Board) Subscribe() *Subscription { return b.hub.subscribe() }

// Version is the board's change counter: every tile change takes the next
// value, so "changed since V" is Tile.Version > V.
func (b *Board) Version() uint64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.version
}

// journalSize is how many changes the board remembers for readers that poll
// (live streams). At 1,000 channels metered each second it covers about a
// minute; a reader that falls further behind re-syncs.
const journalSize = 1 << 16

type journalEntry struct {
	id   int64
	kind Change
}

// record takes the next version for a change of channel id; callers hold mu.
func (b *Board) record(id int64, c Change) uint64 {
	b.version++
	b.journal[b.version%journalSize] = journalEntry{id: id, kind: c}
	return b.version
}

// ChangesSince calls fn for every change after version from, oldest first,
// and returns the version to ask from next time. complete is false when
// changes were forgotten meanwhile (the reader must re-sync instead). It
// lets many readers follow the board without the board signalling each.
func (b *Board) ChangesSince(from uint64, fn func(id int64, c Change)) (next uint64, complete bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if from > b.version {
		// A version from before a restart: everything is news.
		return b.version, false
	}
	if b.version-from > journalSize {
		return b.version, false
	}
	for v := from + 1; v <= b.version; v++ {
		e := b.journal[v%journalSize]
		fn(e.id, e.kind)
	}
	return b.version, true
}
