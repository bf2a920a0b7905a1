package live

import (
	"time"

	"micboard/app/device"
	"micboard/app/model"
)

// Remote is what the instance watching a receiver tells the other
// instances of one of its channels (app/cluster relays it over
// LISTEN/NOTIFY). State is false for a meter sample: it then carries only
// the meters and the battery, and the receiving board keeps the rest. The
// short JSON names keep a batch of them under PostgreSQL's 8,000-byte
// payload limit.
type Remote struct {
	ChannelID  int64 `json:"i"`
	ReceiverID int64 `json:"r"`
	State      bool  `json:"s,omitempty"`

	// Meters and battery, always present.
	RFLevelDBm     []float64  `json:"rf,omitempty"`
	Diversity      string     `json:"dv,omitempty"`
	AudioDBFS      *float64   `json:"a,omitempty"`
	AudioRightDBFS *float64   `json:"ar,omitempty"`
	PeakDBFS       *float64   `json:"pk,omitempty"`
	LastPeakAt     *time.Time `json:"pa,omitempty"`
	Quality        *int       `json:"q,omitempty"`
	QualityMax     int        `json:"qm,omitempty"`
	Bars           *int       `json:"bb,omitempty"`
	Percent        *int       `json:"bp,omitempty"`
	Minutes        *int       `json:"bm,omitempty"`
	Runtime        uint8      `json:"rt,omitempty"`
	LastHeard      *time.Time `json:"lh,omitempty"`

	// State: sent with every state change.
	Online       bool       `json:"o,omitempty"`
	OfflineSince *time.Time `json:"os,omitempty"`
	ReceiverName string     `json:"rn,omitempty"`
	DeviceName   string     `json:"n,omitempty"`
	FrequencyKHz *int       `json:"f,omitempty"`
	TxModel      string     `json:"tx,omitempty"`
	BatteryType  string     `json:"bt,omitempty"`
	Muted        bool       `json:"mu,omitempty"`
	TxOffsetDB   *int       `json:"to,omitempty"`
	RFPowerMW    *int       `json:"pw,omitempty"`
	RFMuted      *bool      `json:"rm,omitempty"`
	LastBars     *int       `json:"lb,omitempty"`
	LastPercent  *int       `json:"lp,omitempty"`
	LastMinutes  *int       `json:"lm,omitempty"`
}

// RemoteOf describes a tile for the other instances; state says whether
// its state changed, or only its meters.
func RemoteOf(t *Tile, state bool) Remote {
	r := Remote{
		ChannelID: t.ChannelID, ReceiverID: t.ReceiverID, State: state,
		RFLevelDBm: t.RFLevelDBm, Diversity: t.Diversity, AudioDBFS: t.AudioDBFS, AudioRightDBFS: t.AudioRightDBFS,
		PeakDBFS: t.PeakDBFS, LastPeakAt: t.LastPeakAt, Quality: t.Quality, QualityMax: t.QualityMax,
		Bars: t.Battery.Bars, Percent: t.Battery.Percent, Minutes: t.Battery.Minutes, Runtime: uint8(t.Runtime),
		LastHeard: t.LastHeard,
	}
	if state {
		r.Online, r.OfflineSince = t.Online, t.OfflineSince
		r.ReceiverName, r.DeviceName, r.FrequencyKHz = t.ReceiverName, t.DeviceName, t.FrequencyKHz
		r.TxModel, r.BatteryType, r.Muted, r.TxOffsetDB = t.TxModel, t.BatteryType, t.Muted, t.TxOffsetDB
		r.RFPowerMW, r.RFMuted = t.RFPowerMW, t.RFMuted
		r.LastBars, r.LastPercent, r.LastMinutes = t.LastBattery.Bars, t.LastBattery.Percent, t.LastBattery.Minutes
	}
	return r
}

// ApplyRemote puts what another instance said of its channels on this
// board and publishes the changes like a device's. It returns the
// receivers of channels the board does not hold (registered elsewhere a
// moment ago), so the caller can load them and apply again.
func (b *Board) ApplyRemote(rs []Remote) (unknownReceivers []int64) {
	now := b.opts.Now()
	type pub struct {
		id int64
		c  Change
	}
	pubs := make([]pub, 0, len(rs))
	seen := map[int64]bool{}
	b.mu.Lock()
	for i := range rs {
		r := &rs[i]
		t := b.tiles[r.ChannelID]
		if t == nil || t.ReceiverID != r.ReceiverID {
			if !seen[r.ReceiverID] {
				seen[r.ReceiverID] = true
				unknownReceivers = append(unknownReceivers, r.ReceiverID)
			}
			continue
		}
		c := applyRemote(t, r)
		if c == 0 {
			continue
		}
		c = b.touch(t, now, c)
		if h := b.history[t.ChannelID]; h != nil {
			h.add(now, t, b.opts.HistoryStep)
		}
		pubs = append(pubs, pub{t.ChannelID, c})
	}
	b.mu.Unlock()
	for _, p := range pubs {
		b.hub.publish(p.id, p.c)
	}
	return unknownReceivers
}

// applyRemote copies a Remote into a tile and says what kind of change it
// made; a tile is a state change when any state field moved.
func applyRemote(t *Tile, r *Remote) Change {
	c := ChangeMeter
	if t.UnwatchedSince != nil {
		// Its watcher speaks: whoever sent this holds the receiver now.
		t.UnwatchedSince = nil
		c |= ChangeState
	}
	nb := model.Battery{Bars: r.Bars, Percent: r.Percent, Minutes: r.Minutes}
	if !sameBattery(nb, t.Battery) {
		if sameBars(nb, t.Battery) {
			c |= ChangeRuntime
		} else {
			c |= ChangeState
		}
		t.Battery = nb
	}
	if rt := device.RuntimeState(r.Runtime); rt != t.Runtime {
		t.Runtime = rt
		c |= ChangeState
	}
	t.RFLevelDBm = append(t.RFLevelDBm[:0], r.RFLevelDBm...)
	t.Diversity, t.AudioDBFS, t.AudioRightDBFS, t.PeakDBFS = r.Diversity, r.AudioDBFS, r.AudioRightDBFS, r.PeakDBFS
	t.LastPeakAt, t.Quality, t.QualityMax, t.LastHeard = r.LastPeakAt, r.Quality, r.QualityMax, r.LastHeard
	if !r.State {
		if t.Battery.Known() {
			t.LastBattery = t.Battery
		}
		return c
	}
	state := func(changed bool) {
		if changed {
			c |= ChangeState
		}
	}
	state(t.Online != r.Online || !sameTime(t.OfflineSince, r.OfflineSince))
	t.Online, t.OfflineSince = r.Online, r.OfflineSince
	state(t.ReceiverName != r.ReceiverName && r.ReceiverName != "")
	if r.ReceiverName != "" {
		t.ReceiverName = r.ReceiverName
	}
	if r.DeviceName != t.DeviceName {
		t.DeviceName = r.DeviceName
		t.rename()
		state(true)
	}
	state(!sameInt(t.FrequencyKHz, r.FrequencyKHz))
	t.FrequencyKHz = r.FrequencyKHz
	state(t.TxModel != r.TxModel || t.BatteryType != r.BatteryType || t.Muted != r.Muted)
	t.TxModel, t.BatteryType, t.Muted = r.TxModel, r.BatteryType, r.Muted
	state(!sameInt(t.TxOffsetDB, r.TxOffsetDB) || !sameInt(t.RFPowerMW, r.RFPowerMW))
	t.TxOffsetDB, t.RFPowerMW = r.TxOffsetDB, r.RFPowerMW
	state((t.RFMuted == nil) != (r.RFMuted == nil) || (t.RFMuted != nil && *t.RFMuted != *r.RFMuted))
	t.RFMuted = r.RFMuted
	t.LastBattery = model.Battery{Bars: r.LastBars, Percent: r.LastPercent, Minutes: r.LastMinutes}
	return c
}

func sameTime(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }

// ReceiverIDs returns the receivers on the board.
func (b *Board) ReceiverIDs() []int64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]int64, 0, len(b.byRx))
	for id := range b.byRx {
		out = append(out, id)
	}
	return out
}
