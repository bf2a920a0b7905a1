package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Scenario names accepted by NewEngine and FleetConfig.
const (
	// ScenarioStatic leaves every value alone: only hooks and protocol SETs
	// change anything. Tests use it for byte-exact answers.
	ScenarioStatic = "static"
	// ScenarioSteady moves values realistically (battery drain in real time,
	// RF and audio wander, flat batteries get swapped) with no faults.
	ScenarioSteady = "steady"
	// ScenarioShow is a busy show: batteries drain ten times faster, and
	// transmitters switch off, antennas fade, audio clips, names change,
	// receivers drop their link, stall or send garbage.
	ScenarioShow = "show"
)

// TickInterval is the simulated time between two scenario steps.
const TickInterval = time.Second

// Scenarios lists the scenario names.
func Scenarios() []string { return []string{ScenarioStatic, ScenarioSteady, ScenarioShow} }

// Engine drives a scenario over a set of receivers. Each receiver has its own
// random stream derived from the seed, so a run is reproducible: the same
// seed and the same clock advances give the same states.
type Engine struct {
	scenario string
	clock    Clock
	drain    float64 // battery drain speed-up
	recvs    []*Receiver
	scripts  []*rxScript

	mu sync.Mutex // serialises Step
	tk *ticker
}

// rxScript is the engine's private plan for one receiver.
type rxScript struct {
	rng        *rand.Rand
	stallUntil time.Time
	ch         []chScript
}

type chScript struct {
	audioTarget float64
	fadeAnt     int // 0 none, 1 A, 2 B
	fadeUntil   time.Time
	txBackAt    time.Time // when a switched-off transmitter comes back; zero = stays
	swap        bool      // coming back with a fresh battery
}

// NewEngine prepares scenario over rs. It does nothing until Start or Step.
func NewEngine(scenario string, seed uint64, clock Clock, rs []*Receiver) (*Engine, error) {
	if scenario == "" {
		scenario = ScenarioStatic
	}
	e := &Engine{scenario: scenario, clock: clock, recvs: rs, drain: 1}
	switch scenario {
	case ScenarioStatic, ScenarioSteady:
	case ScenarioShow:
		e.drain = 10
	default:
		return nil, fmt.Errorf("unknown scenario %q (want one of %s)", scenario, strings.Join(Scenarios(), ", "))
	}
	if e.clock == nil {
		e.clock = RealClock{}
	}
	for i, r := range rs {
		sc := &rxScript{rng: rand.New(rand.NewPCG(seed, 0x5343454e00000000|uint64(i)))}
		sc.ch = make([]chScript, len(r.ch))
		for j := range sc.ch {
			sc.ch[j].audioTarget = -28
		}
		e.scripts = append(e.scripts, sc)
	}
	return e, nil
}

// Scenario returns the scenario name.
func (e *Engine) Scenario() string { return e.scenario }

// Start steps the scenario every TickInterval of the engine's clock.
func (e *Engine) Start() {
	if e.scenario == ScenarioStatic {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tk == nil {
		e.tk = startTicker(e.clock, TickInterval, func() { e.Step(TickInterval) })
	}
}

// Stop halts the ticking started by Start.
func (e *Engine) Stop() {
	e.mu.Lock()
	tk := e.tk
	e.tk = nil
	e.mu.Unlock()
	tk.Stop()
}

// chance reports true with probability dt/every: an event expected once per
// `every` of simulated time.
func chance(rng *rand.Rand, dt, every time.Duration) bool {
	return rng.Float64() < float64(dt)/float64(every)
}

// between picks a duration in [lo, hi], to a tenth of a second (readable logs).
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return (lo + time.Duration(rng.Int64N(int64(hi-lo)+1))).Round(100 * time.Millisecond)
}

// Step advances the scenario by dt of simulated time.
func (e *Engine) Step(dt time.Duration) {
	if e.scenario == ScenarioStatic {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	show := e.scenario == ScenarioShow
	for i, r := range e.recvs {
		sc := e.scripts[i]
		r.mu.Lock()
		for j, c := range r.ch {
			e.stepChannel(r, c, &sc.ch[j], sc.rng, now, dt, show)
		}
		r.srv.publish()
		r.mu.Unlock()
		if !show {
			continue
		}
		// Receiver-level faults go through the public hooks, which lock.
		if !sc.stallUntil.IsZero() && !now.Before(sc.stallUntil) {
			sc.stallUntil = time.Time{}
			r.Stall(false)
		}
		switch {
		case chance(sc.rng, dt, 2*time.Hour):
			r.Drop(between(sc.rng, 5*time.Second, 20*time.Second))
		case chance(sc.rng, dt, 3*time.Hour) && sc.stallUntil.IsZero():
			sc.stallUntil = now.Add(between(sc.rng, 8*time.Second, 25*time.Second))
			r.Stall(true)
		case chance(sc.rng, dt, time.Hour):
			r.SendGarbage()
		}
	}
}

// stepChannel moves one channel. r.mu held.
func (e *Engine) stepChannel(r *Receiver, c *channel, cs *chScript, rng *rand.Rand, now time.Time, dt time.Duration, show bool) {
	if !c.txOn {
		if !cs.txBackAt.IsZero() && !now.Before(cs.txBackAt) {
			cs.txBackAt = time.Time{}
			c.txOn = true
			if cs.swap {
				cs.swap = false
				c.pct = 100
			}
			c.rfA, c.rfB, c.audio = math.Round(c.baseA), math.Round(c.baseB), -30
		}
		return
	}
	c.pct = math.Max(0, c.pct-dt.Minutes()/c.life*100*e.drain)

	// RF wanders a couple of dB around each antenna's baseline.
	fading := !cs.fadeUntil.IsZero() && now.Before(cs.fadeUntil)
	if !fading {
		cs.fadeAnt = 0
	}
	c.rfA = math.Round(c.baseA + rng.NormFloat64()*1.5)
	c.rfB = math.Round(c.baseB + rng.NormFloat64()*1.5)
	switch cs.fadeAnt {
	case 1:
		c.rfA = math.Round(-112 + rng.NormFloat64())
	case 2:
		c.rfB = math.Round(-112 + rng.NormFloat64())
	}
	c.rfA = math.Max(-120, math.Min(-20, c.rfA))
	c.rfB = math.Max(-120, math.Min(-20, c.rfB))

	// Audio follows a performer: quiet, talking, singing, with some spread.
	if rng.IntN(10) == 0 {
		cs.audioTarget = []float64{-45, -28, -20, -14}[rng.IntN(4)]
	}
	c.audio += (cs.audioTarget-c.audio)*0.5 + rng.NormFloat64()*2
	c.audio = math.Max(-60, math.Min(-4, math.Round(c.audio*2)/2))

	// Crews swap flat batteries: the pack goes off for a minute or so.
	flat := c.percent() <= 10
	if !show {
		flat = c.percent() == 0
	}
	if flat && chance(rng, dt, time.Minute) {
		c.txOn = false
		c.rfA, c.rfB, c.audio = -115, -115, -120
		cs.txBackAt = now.Add(between(rng, 30*time.Second, 90*time.Second))
		cs.swap = true
		return
	}
	if !show {
		return
	}
	switch {
	case chance(rng, dt, 40*time.Minute):
		c.txOn = false
		c.rfA, c.rfB, c.audio = -115, -115, -120
		cs.txBackAt = now.Add(between(rng, 20*time.Second, 3*time.Minute))
	case chance(rng, dt, 15*time.Minute):
		cs.fadeAnt = 1 + rng.IntN(2)
		cs.fadeUntil = now.Add(between(rng, 5*time.Second, 30*time.Second))
	case chance(rng, dt, 5*time.Minute):
		c.clipSeq++
		c.clipEnd = now.Add(clipHold)
		c.audio = -1
	case chance(rng, dt, 2*time.Hour):
		// A new performer takes the pack: same slot id, new name.
		id, _, _ := strings.Cut(c.name, " ")
		pool := longNames
		if r.spec.nameMax <= 8 {
			pool = shortNames
		}
		name := id + " " + pool[rng.IntN(len(pool))]
		if len(name) > r.spec.nameMax {
			name = name[:r.spec.nameMax]
		}
		c.name = name
	}
}
