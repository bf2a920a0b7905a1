package web

import (
	"bytes"
	"fmt"
	"html/template"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"micboard/app/live"
	"micboard/app/model"
)

// A tile is drawn in two parts: the tile around its meters, once per state
// change, and the meters, once per meter line. At 100 ms metering a tile's
// meters move ten times a second while its name, battery and status stay
// put, so the expensive part is drawn only when something a person reads
// changed, and a thousand open boards share it.
// The battery text is kept apart the same way: a pack's minutes left move
// every minute without anything else on its tile moving.
type renderedTile struct {
	stateVersion    uint64
	peak            bool   // drawn clipping
	drawsBattery    bool   // false for a tile without a battery (an in-ear transmitter)
	head, mid, tail string // partials/tile around the battery text and the meters
	meterLine       string // the meters and battery text, as the stream encodes them
	battery         string // the battery text
	metersHTML      string
}

// html joins the parts into the whole tile.
func (r *renderedTile) html() template.HTML {
	if !r.drawsBattery {
		return template.HTML(r.head + r.mid + r.metersHTML + r.tail)
	}
	return template.HTML(r.head + template.HTMLEscapeString(r.battery) + r.mid + r.metersHTML + r.tail)
}

type renderKey struct {
	id   int64
	opts tileOptions
}

// tileCache holds the latest rendering of every tile per options. Entries
// are never changed once stored, only replaced, so readers need no lock.
type tileCache struct {
	mu sync.Mutex
	m  map[renderKey]*renderedTile

	// renders counts tile (not meter) renderings, for tests and benchmarks.
	renders uint64
}

// metersMark and batteryMark stand where the meters and the battery text
// go while the tile is drawn; device strings are escaped, so they cannot
// come from a name.
const (
	metersMark  = "<!--meters-->"
	batteryMark = "<!--battery-->"
)

func (c *tileCache) get(k renderKey) *renderedTile {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *tileCache) put(k renderKey, r *renderedTile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[renderKey]*renderedTile{}
	}
	if old := c.m[k]; old == nil || old.stateVersion <= r.stateVersion {
		c.m[k] = r
	}
}

// forget drops the renderings of tiles the board no longer holds.
func (c *tileCache) forget(keep func(id int64) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if !keep(k.id) {
			delete(c.m, k)
		}
	}
}

// tileRenders reports how many tile bodies were drawn so far.
func (s *Server) tileRenders() uint64 {
	s.tiles.mu.Lock()
	defer s.tiles.mu.Unlock()
	return s.tiles.renders
}

// tile returns t drawn with opts: the body from the cache while its state
// did not move, the meters as they stand now.
func (s *Server) tile(t *live.Tile, opts tileOptions, now time.Time) (*renderedTile, error) {
	key := renderKey{t.ChannelID, opts}
	r := s.tiles.get(key)
	peak := t.Status == model.StatusAudioPeak
	if r != nil && r.stateVersion == t.StateVersion && r.peak == peak {
		rows := tileMeters(t, opts, offline(t))
		battery := shownBattery(t, now)
		line := meterLine(t.ChannelID, rows, battery, peak)
		if r.meterLine == line {
			return r, nil
		}
		nr := *r
		nr.meterLine, nr.battery = line, battery
		wasMeters, _ := cutRuntime(r.meterLine)
		if nowMeters, _ := cutRuntime(line); nowMeters != wasMeters {
			meters, err := s.renderMeters(t.ChannelID, rows)
			if err != nil {
				return nil, err
			}
			nr.metersHTML = meters
		}
		s.tiles.put(key, &nr)
		return &nr, nil
	}
	v := newTileView(t, opts, now)
	if opts.Clickable {
		// Built here rather than with the template's url helper: a route
		// lookup per tile is a fifth of a cold board's render time.
		v.DetailURL = s.channelPathPrefix + strconv.FormatInt(t.ChannelID, 10)
	}
	v.MetersHTML, v.RuntimeHTML = metersMark, batteryMark
	var buf bytes.Buffer
	name, data := tileTemplate(t, v)
	if err := s.views.shared.ExecuteTemplate(&buf, "partials/"+name, data); err != nil {
		return nil, fmt.Errorf("render tile %d: %w", t.ChannelID, err)
	}
	// A tile without a battery (an in-ear transmitter) has no battery mark.
	head, rest, drawsBattery := strings.Cut(buf.String(), batteryMark)
	if !drawsBattery {
		head, rest = "", head
	}
	mid, tail, ok := strings.Cut(rest, metersMark)
	if !ok {
		return nil, fmt.Errorf("render tile %d: partials/%s does not place its meters after its battery text", t.ChannelID, name)
	}
	meters, err := s.renderMeters(t.ChannelID, v.Meters)
	if err != nil {
		return nil, err
	}
	r = &renderedTile{stateVersion: t.StateVersion, peak: peak, drawsBattery: drawsBattery, head: head, mid: mid, tail: tail,
		battery: v.Battery, meterLine: meterLine(t.ChannelID, v.Meters, v.Battery, peak), metersHTML: meters}
	s.tiles.mu.Lock()
	s.tiles.renders++
	s.tiles.mu.Unlock()
	s.tiles.put(key, r)
	return r, nil
}

// renderMeters draws partials/tile_meters alone.
func (s *Server) renderMeters(id int64, rows []meterRow) (string, error) {
	var buf bytes.Buffer
	if err := s.views.shared.ExecuteTemplate(&buf, "partials/"+PartialTileMeters, tileView{ID: id, Meters: rows}); err != nil {
		return "", fmt.Errorf("render meters of tile %d: %w", id, err)
	}
	return buf.String(), nil
}

// offline reports whether a tile draws as a receiver that does not answer
// (no meters then).
func offline(t *live.Tile) bool { return t.Status == model.StatusRxOffline }

// renderTiles renders tiles (from the cache where their state did not
// move) on every core: a cold board of 1,000 tiles is mostly template work.
func (s *Server) renderTiles(tiles []*live.Tile, opts tileOptions, now time.Time) (map[int64]template.HTML, error) {
	out := make([]template.HTML, len(tiles))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(tiles)/64))
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(tiles); i += workers {
				r, err := s.tile(tiles[i], opts, now)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				out[i] = r.html()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	m := make(map[int64]template.HTML, len(tiles))
	for i, t := range tiles {
		m[t.ChannelID] = out[i]
	}
	return m, nil
}
