package web

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/live"
)

// Stream timings. Tiles are flushed at most four times a second, each tile
// once per flush whatever happened to it meanwhile; pings let a page tell a
// silent network from a quiet board.
const (
	streamFlushEvery = 250 * time.Millisecond
	streamPingEvery  = 5 * time.Second
	streamRetry      = 2000 // ms, the browser's reconnect delay
)

// sseWriter writes server-sent events.
type sseWriter struct {
	w *bufio.Writer
	f http.Flusher
}

// event writes one event; each line of data gets its own "data:" field,
// with indentation dropped (it means nothing in HTML and costs bytes).
func (s *sseWriter) event(name string, data []byte) {
	s.w.WriteString("event: ")
	s.w.WriteString(name)
	s.w.WriteByte('\n')
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
		s.w.WriteString("data: ")
		s.w.Write(line)
		s.w.WriteByte('\n')
	}
	s.w.WriteByte('\n')
}

func (s *sseWriter) flush() error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	s.f.Flush()
	return nil
}

// tileStream is one live connection's view of the board.
type tileStream struct {
	s         *Server
	f         *viewFilter
	opts      tileOptions
	out       *sseWriter
	displayed map[int64]bool   // tiles the page shows
	meters    map[int64]string // meter line last sent per tile
	pending   map[int64]live.Change
	batch     bytes.Buffer // this flush's meter lines
}

// streamTiles sends live updates for a view until the client leaves, the
// server stops, or check (run every ping) fails. since is the board version
// the page was drawn at. The stream follows the board's change journal on
// its own clock (four times a second), so the board never waits for it and
// a thousand streams cost the board nothing per reading.
func (s *Server) streamTiles(c echo.Context, f *viewFilter, opts tileOptions, since uint64, check func(context.Context) string) error {
	r := c.Request()
	w := c.Response()
	flusher, ok := w.Writer.(http.Flusher)
	if !ok {
		return echo.NewHTTPError(http.StatusInternalServerError, "streaming unsupported")
	}
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // no proxy buffering
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)

	ts := &tileStream{
		s: s, f: f, opts: opts, out: &sseWriter{w: bufio.NewWriterSize(w, 32<<10), f: flusher},
		displayed: map[int64]bool{}, meters: map[int64]string{}, pending: map[int64]live.Change{},
	}
	ts.out.w.WriteString("retry: " + strconv.Itoa(streamRetry) + "\n\n")
	// What the page shows: the view as it stands. Changes after the page was
	// drawn follow from the journal; if they are forgotten, the page
	// re-draws its grid.
	for _, t := range s.board.Tiles() {
		if f.match(&t) {
			ts.displayed[t.ChannelID] = true
		}
	}
	cursor, complete := s.board.ChangesSince(since, ts.note)
	if since == 0 {
		clear(ts.pending) // no page version: nothing to catch up on
	} else if !complete || ts.stateChanges() > maxCatchUp {
		// Cheaper for the page to fetch its grid once than to receive
		// every tile one by one (a reconnect after a long drop).
		clear(ts.pending)
		ts.out.event("resync", []byte("1"))
	}
	ts.send(time.Now())
	ts.out.event("ping", []byte(time.Now().UTC().Format(time.RFC3339)))
	if err := ts.flush(rc); err != nil {
		return nil
	}

	flushTick := time.NewTicker(streamFlushEvery)
	defer flushTick.Stop()
	pingTick := time.NewTicker(streamPingEvery)
	defer pingTick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.stopping:
			return nil
		case <-flushTick.C:
			cursor, complete = s.board.ChangesSince(cursor, ts.note)
			if !complete {
				clear(ts.pending)
				ts.out.event("resync", []byte("1"))
			}
			if len(ts.pending) == 0 && ts.out.w.Buffered() == 0 {
				continue
			}
			ts.send(time.Now())
			if err := ts.flush(rc); err != nil {
				return nil // the client left or stopped reading
			}
		case <-pingTick.C:
			if check != nil {
				if ev := check(r.Context()); ev != "" {
					ts.out.event(ev, []byte(ev))
					ts.flush(rc)
					return nil
				}
			}
			ts.out.event("ping", []byte(time.Now().UTC().Format(time.RFC3339)))
			if err := ts.flush(rc); err != nil {
				return nil
			}
		}
	}
}

// streamWriteTimeout drops a client that stops reading without closing, so
// its stream does not hold a goroutine and a socket for good.
const streamWriteTimeout = 10 * time.Second

func (ts *tileStream) flush(rc *http.ResponseController) error {
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)) // not every writer supports it
	return ts.out.flush()
}

// maxCatchUp is how many changed tiles a (re)connecting page is sent one
// by one before it is asked to re-draw its grid instead.
const maxCatchUp = 64

// stateChanges counts pending state changes of tiles in view.
func (ts *tileStream) stateChanges() int {
	n := 0
	for id, c := range ts.pending {
		if c&live.ChangeState != 0 && ts.displayed[id] {
			n++
		}
	}
	return n
}

// note coalesces one journal entry into this flush.
func (ts *tileStream) note(id int64, c live.Change) { ts.pending[id] |= c }

// send writes the pending changes: a whole tile for a state change, its
// meter line (batched into one "meters" event) otherwise, and a request to
// re-draw the grid when a tile entered or left the view.
func (ts *tileStream) send(now time.Time) {
	resync := false
	ts.batch.Reset()
	for id, ch := range ts.pending {
		t, ok := ts.s.board.Tile(id)
		in := ok && ts.f.match(&t)
		if in != ts.displayed[id] {
			resync = true
			if in {
				ts.displayed[id] = true
			} else {
				delete(ts.displayed, id)
				delete(ts.meters, id)
			}
			continue
		}
		if !in {
			continue
		}
		r, err := ts.s.tile(&t, ts.opts, now)
		if err != nil {
			ts.s.log.Error("render tile", "channel", id, "err", err)
			continue
		}
		if ch&live.ChangeState != 0 {
			ts.out.event("t"+strconv.FormatInt(id, 10), []byte(r.html))
			ts.meters[id] = r.meters
			continue
		}
		if ts.meters[id] == r.meters {
			continue // draws the same as what the page shows
		}
		ts.meters[id] = r.meters
		ts.batch.WriteString(r.meters)
		ts.batch.WriteByte('\n')
	}
	clear(ts.pending)
	if ts.batch.Len() > 0 {
		ts.out.event("meters", ts.batch.Bytes())
	}
	if resync {
		ts.out.event("resync", []byte("1"))
	}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
