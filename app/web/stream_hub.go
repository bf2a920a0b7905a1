package web

import (
	"bytes"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"micboard/app/live"
)

// streamHub makes the cost of live streams independent of how many browsers
// watch: it reads the board's change journal once per tick for all of them,
// computes each distinct view's update once, encodes it once, and hands the
// same bytes to every stream of that view. A stream only copies bytes to its
// socket; the hub never waits for one (a full queue marks it lagging, and
// the page re-draws its grid when it catches up).
type streamHub struct {
	s *Server

	mu     sync.Mutex
	feeds  map[string]*viewFeed
	cursor uint64 // board version read up to
	// alertSeq is the alert feed read up to (alerts.go).
	alertSeq uint64
	running  bool
	ticks    uint64
	open     int // streams joined
	peak     int // most streams open since memory was last handed back
	freed    time.Time

	// Kept from tick to tick: at ten samples a second every channel of a
	// big board changes in every tick, and a fresh board's worth of
	// snapshots and maps each time was most of what the hub allocated.
	pending map[int64]live.Change
	ids     []int64
	snaps   []live.Tile
	tiles   map[int64]*live.Tile
	lines   map[renderKey]string
}

// viewFeed is one distinct view (filter and tile options) with its streams.
type viewFeed struct {
	key       string
	f         *viewFilter
	opts      tileOptions
	displayed map[int64]bool   // tiles the view shows
	meters    map[int64]string // meter line last sent per tile
	order     map[int64]string // what the view's sort reads of each tile
	subs      map[*streamSub]struct{}
}

// streamSub is one stream's queue of encoded frames.
type streamSub struct {
	frames chan []byte
	// lagged is set when a frame was dropped because the queue was full;
	// the stream then asks its page to re-draw.
	lagged atomic.Bool
}

// subQueue is how many ticks a stream may fall behind (4 s) before frames
// are dropped for it.
const subQueue = 16

// pingEveryTicks sends the shared ping every streamPingEvery.
const pingEveryTicks = uint64(streamPingEvery / streamFlushEvery)

// memoryHandBack: once this many streams were open and half of them closed,
// the heap they used is returned to the system (at most every 30 s), so a
// crowd of browsers that came and went does not leave the process large.
const (
	memoryHandBackPeak  = 256
	memoryHandBackEvery = 30 * time.Second
)

// feedKey names a view: its query, what it resolved to (a group's slots, a
// location subtree) and its tile options.
func feedKey(f *viewFilter, opts tileOptions) string {
	var b strings.Builder
	b.WriteString(f.q.Encode())
	b.WriteString("|")
	if f.group != nil {
		for _, id := range f.group.Slots {
			b.WriteString(strconv.FormatInt(id, 10))
			b.WriteByte(',')
		}
	}
	b.WriteString("|")
	if f.locs != nil {
		ids := make([]int64, 0, len(f.locs))
		for id := range f.locs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			b.WriteString(strconv.FormatInt(id, 10))
			b.WriteByte(',')
		}
	}
	b.WriteString("|")
	if f.only != nil {
		b.WriteString("only:")
		ids := make([]int64, 0, len(f.only))
		for id := range f.only {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			b.WriteString(strconv.FormatInt(id, 10))
			b.WriteByte(',')
		}
	}
	b.WriteString("|")
	b.WriteString(strconv.FormatBool(opts.ShowRF))
	b.WriteString(strconv.FormatBool(opts.ShowAudio))
	b.WriteString(strconv.FormatBool(opts.Clickable))
	b.WriteString(string(opts.Size))
	return b.String()
}

// join adds a stream to its view's feed and returns the first bytes to send:
// what changed since the page was drawn at version since (0: nothing to
// catch up), or a request to re-draw when that is cheaper.
func (h *streamHub) join(f *viewFilter, opts tileOptions, since uint64) (*viewFeed, *streamSub, []byte) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		h.cursor = h.s.board.Version()
		if h.s.alerts != nil {
			h.alertSeq = h.s.alerts.Feed.Seq()
		}
		h.running = true
		go h.run()
	}
	if h.feeds == nil {
		h.feeds = map[string]*viewFeed{}
	}
	key := feedKey(f, opts)
	feed := h.feeds[key]
	if feed == nil {
		feed = &viewFeed{key: key, f: f, opts: opts, subs: map[*streamSub]struct{}{}}
		feed.reset(h.s)
		h.feeds[key] = feed
	}
	sub := &streamSub{frames: make(chan []byte, subQueue)}
	feed.subs[sub] = struct{}{}
	h.open++
	h.peak = max(h.peak, h.open)

	var out bytes.Buffer
	out.WriteString("retry: " + strconv.Itoa(streamRetry) + "\n\n")
	if since != 0 {
		feed.catchUp(h.s, &out, since, now)
	}
	h.s.activeAlerts(feed, &out)
	appendEvent(&out, "ping", []byte(now.UTC().Format(time.RFC3339)))
	return feed, sub, out.Bytes()
}

// leave removes a stream; a view nobody watches is forgotten.
func (h *streamHub) leave(feed *viewFeed, sub *streamSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(feed.subs, sub)
	if len(feed.subs) == 0 && h.feeds[feed.key] == feed {
		delete(h.feeds, feed.key)
	}
	h.open--
	if h.peak >= memoryHandBackPeak && h.open <= h.peak/2 && time.Since(h.freed) >= memoryHandBackEvery {
		h.peak, h.freed = h.open, time.Now()
		go debug.FreeOSMemory()
	}
}

// streams reports how many streams are open and how many distinct views
// they watch.
func (h *streamHub) streams() (open, views int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open, len(h.feeds)
}

// run ticks until no stream is left.
func (h *streamHub) run() {
	tickUntilIdle(h.s.stopping, func() {
		h.mu.Lock()
		h.running = false
		h.mu.Unlock()
	}, h.tick)
}

// tickUntilIdle calls tick every streamFlushEvery until it reports that no
// stream is left, or until the server stops (then stopped runs): the clock
// of every hub that follows the board's journal for its streams.
func tickUntilIdle(stopping <-chan struct{}, stopped func(), tick func(now time.Time) bool) {
	tk := time.NewTicker(streamFlushEvery)
	defer tk.Stop()
	for {
		select {
		case <-stopping:
			stopped()
			return
		case <-tk.C:
			if !tick(time.Now()) {
				return
			}
		}
	}
}

// changesSince gathers the board's changes after version cursor, one
// entry per channel with every kind of change it had.
func (s *Server) changesSince(cursor uint64) (pending map[int64]live.Change, next uint64, complete bool) {
	return s.changesSinceInto(map[int64]live.Change{}, cursor)
}

// changesSinceInto is changesSince filling pending, emptied first.
func (s *Server) changesSinceInto(pending map[int64]live.Change, cursor uint64) (map[int64]live.Change, uint64, bool) {
	clear(pending)
	next, complete := s.board.ChangesSince(cursor, func(id int64, c live.Change) { pending[id] |= c })
	return pending, next, complete
}

// tick reads the journal once and sends every feed its update; it reports
// false (and stops the hub) when no stream is left.
func (h *streamHub) tick(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.feeds) == 0 {
		h.running = false
		return false
	}
	h.ticks++
	if h.pending == nil {
		h.pending = map[int64]live.Change{}
	}
	pending, next, complete := h.s.changesSinceInto(h.pending, h.cursor)
	h.cursor = next
	ids := h.ids[:0]
	for id := range pending {
		ids = append(ids, id)
	}
	slices.Sort(ids) // a stable order on the wire
	h.ids = ids
	snaps := h.s.board.TilesByIDInto(h.snaps, ids)
	h.snaps = snaps
	if h.tiles == nil {
		h.tiles, h.lines = map[int64]*live.Tile{}, map[renderKey]string{}
	}
	tiles, lines := h.tiles, h.lines
	clear(tiles)
	clear(lines) // meter lines shared by feeds with the same options
	for i := range snaps {
		tiles[snaps[i].ChannelID] = &snaps[i]
	}
	if len(snaps) < len(ids) {
		// Tiles left the board: drop their renderings.
		h.s.tiles.forget(func(id int64) bool {
			if _, changed := pending[id]; !changed {
				return true
			}
			_, ok := tiles[id]
			return ok
		})
	}
	ping := h.ticks%pingEveryTicks == 0
	alerts := h.newAlertFrames()
	for _, feed := range h.feeds {
		var out bytes.Buffer
		feed.update(h.s, &out, ids, pending, tiles, next, complete, lines, now)
		for _, a := range alerts {
			if feed.shows(a) {
				out.Write(a.frame)
			}
		}
		if ping {
			appendEvent(&out, "ping", []byte(now.UTC().Format(time.RFC3339)))
		}
		if out.Len() == 0 {
			continue
		}
		frame := out.Bytes()
		for sub := range feed.subs {
			select {
			case sub.frames <- frame:
			default:
				sub.lagged.Store(true)
			}
		}
	}
	return true
}

// reset recomputes what the view shows from the board as it stands.
func (feed *viewFeed) reset(s *Server) {
	now := time.Now()
	feed.displayed = map[int64]bool{}
	feed.meters = map[int64]string{}
	feed.order = map[int64]string{}
	for _, t := range s.board.Tiles() {
		if feed.f.match(&t) {
			feed.displayed[t.ChannelID] = true
			feed.order[t.ChannelID] = feed.f.sortKey(&t)
			feed.meters[t.ChannelID] = liveLine(&t, feed.opts, now)
		}
	}
}

// update encodes the view's share of one tick: a whole tile for a state
// change, a meter line (batched into one "meters" event) for a meter change
// that draws differently at the meters' resolution, and a request to
// re-draw the grid when a tile entered or left the view or changes were
// forgotten.
func (feed *viewFeed) update(s *Server, out *bytes.Buffer, ids []int64, pending map[int64]live.Change, tiles map[int64]*live.Tile, version uint64, complete bool, lines map[renderKey]string, now time.Time) {
	resync := !complete
	var batch bytes.Buffer
	for _, id := range ids {
		c := pending[id]
		t := tiles[id]
		in := t != nil && feed.f.match(t)
		if in != feed.displayed[id] {
			resync = true
			if in {
				feed.displayed[id] = true
				feed.order[id] = feed.f.sortKey(t)
			} else {
				delete(feed.displayed, id)
				delete(feed.meters, id)
				delete(feed.order, id)
			}
			continue
		}
		if !in {
			continue
		}
		if c&live.ChangeState != 0 {
			// A change that moves the tile in the view's order re-draws the
			// grid (a tile turning critical rises to the top of "worst first").
			if key := feed.f.sortKey(t); key != feed.order[id] {
				feed.order[id] = key
				resync = true
				continue
			}
			r, err := s.tile(t, feed.opts, now)
			if err != nil {
				s.log.Error("render tile", "channel", id, "err", err)
				continue
			}
			appendVersioned(out, "t"+strconv.FormatInt(id, 10), version, []byte(r.html()))
			feed.meters[id] = r.meterLine
			continue
		}
		key := renderKey{id, feed.opts}
		line, ok := lines[key]
		if !ok {
			line = liveLine(t, feed.opts, now)
			lines[key] = line
		}
		last := feed.meters[id]
		if last == line {
			continue // draws the same as what the page shows
		}
		feed.meters[id] = line
		addMeterLine(&batch, wireLine(last, line))
	}
	if batch.Len() > 0 {
		appendVersioned(out, "meters", version, batch.Bytes())
	}
	if !complete {
		feed.reset(s)
	}
	if resync {
		appendEvent(out, "resync", []byte("1"))
	}
}

// catchUp encodes what changed in the view since a page was drawn at
// version since: each changed tile, or a request to re-draw the grid when
// that is cheaper (a reconnect after a long drop) or changes were forgotten.
func (feed *viewFeed) catchUp(s *Server, out *bytes.Buffer, since uint64, now time.Time) {
	pending, version, complete := s.changesSince(since)
	states := 0
	for id, c := range pending {
		if c&live.ChangeState != 0 {
			if !feed.displayed[id] {
				complete = false // it may have left the view
			}
			states++
		}
	}
	if !complete || states > maxCatchUp {
		appendEvent(out, "resync", []byte("1"))
		return
	}
	ids := make([]int64, 0, len(pending))
	for id := range pending {
		if feed.displayed[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var batch bytes.Buffer
	for _, t := range s.board.TilesByID(ids) {
		if pending[t.ChannelID]&live.ChangeState != 0 {
			r, err := s.tile(&t, feed.opts, now)
			if err != nil {
				s.log.Error("render tile", "channel", t.ChannelID, "err", err)
				continue
			}
			appendVersioned(out, "t"+strconv.FormatInt(t.ChannelID, 10), version, []byte(r.html()))
			continue
		}
		addMeterLine(&batch, liveLine(&t, feed.opts, now))
	}
	if batch.Len() > 0 {
		appendVersioned(out, "meters", version, batch.Bytes())
	}
}

// addMeterLine adds a tile's meters to a "meters" batch: one line of data,
// tiles separated by ";".
func addMeterLine(batch *bytes.Buffer, line string) {
	if batch.Len() > 0 {
		batch.WriteByte(';')
	}
	batch.WriteString(line)
}

// appendVersioned is appendEvent with the board version the event was
// read at as its SSE id, never older than what it carries: a page that
// fetches its grid again re-applies the tiles and meters newer than the
// grid it got (board.js), which would otherwise be drawn over.
func appendVersioned(out *bytes.Buffer, name string, version uint64, data []byte) {
	out.WriteString("id: ")
	out.WriteString(strconv.FormatUint(version, 10))
	out.WriteByte('\n')
	appendEvent(out, name, data)
}

// appendEvent encodes one server-sent event; each line of data gets its own
// "data:" field, with indentation dropped (it means nothing in HTML and
// costs bytes).
func appendEvent(out *bytes.Buffer, name string, data []byte) {
	out.WriteString("event: ")
	out.WriteString(name)
	out.WriteByte('\n')
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		out.WriteString("data: ")
		out.Write(line)
		out.WriteByte('\n')
	}
	out.WriteByte('\n')
}

// StreamStats describe the live streams of a server.
type StreamStats struct {
	Open        int    // streams connected
	Views       int    // distinct views they watch (each computed once per tick)
	TileRenders uint64 // tile bodies drawn since start (meters not counted)
}

// StreamStats reports the live streams, for metrics and tests.
func (s *Server) StreamStats() StreamStats {
	open, views := s.streams.streams()
	return StreamStats{Open: open, Views: views, TileRenders: s.tileRenders()}
}
