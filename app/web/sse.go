package web

import (
	"bufio"
	"bytes"
	"context"
	"hash/fnv"
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
	w   *bufio.Writer
	f   http.Flusher
	seq uint64
}

// event writes one event; each line of data gets its own "data:" field,
// with indentation dropped (it means nothing in HTML and costs bytes).
func (s *sseWriter) event(name string, data []byte) {
	s.seq++
	s.w.WriteString("event: ")
	s.w.WriteString(name)
	s.w.WriteString("\nid: ")
	s.w.WriteString(strconv.FormatUint(s.seq, 10))
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
	meters    map[int64]uint64 // hash of the meters last sent per tile
	buf       bytes.Buffer
}

// streamTiles sends live updates for a view until the client leaves, the
// server stops, or check (run every ping) fails. since is the board version
// the page was drawn at.
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

	sub := s.board.Subscribe()
	defer sub.Close()
	ts := &tileStream{
		s: s, f: f, opts: opts, out: &sseWriter{w: bufio.NewWriterSize(w, 32<<10), f: flusher},
		displayed: map[int64]bool{}, meters: map[int64]uint64{},
	}
	ts.out.w.WriteString("retry: " + strconv.Itoa(streamRetry) + "\n\n")
	now := time.Now()
	for _, t := range s.board.Tiles() {
		if !f.match(&t) {
			continue
		}
		ts.displayed[t.ChannelID] = true
		if t.Version > since {
			ts.sendTile(&t, now)
		}
	}
	ts.out.event("ping", []byte(now.UTC().Format(time.RFC3339)))
	if err := ts.out.flush(); err != nil {
		return nil
	}

	flushTick := time.NewTicker(streamFlushEvery)
	defer flushTick.Stop()
	pingTick := time.NewTicker(streamPingEvery)
	defer pingTick.Stop()
	pending := map[int64]live.Change{}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.stopping:
			return nil
		case <-sub.Ready():
			for id, ch := range sub.Take() {
				pending[id] |= ch
			}
		case <-flushTick.C:
			if len(pending) == 0 {
				continue
			}
			for id, ch := range sub.Take() {
				pending[id] |= ch
			}
			ts.send(pending, time.Now())
			clear(pending)
			if err := ts.out.flush(); err != nil {
				return nil // the client left
			}
		case <-pingTick.C:
			if check != nil {
				if ev := check(r.Context()); ev != "" {
					ts.out.event(ev, []byte(ev))
					ts.out.flush()
					return nil
				}
			}
			ts.out.event("ping", []byte(time.Now().UTC().Format(time.RFC3339)))
			if err := ts.out.flush(); err != nil {
				return nil
			}
		}
	}
}

// send writes the changed tiles; a tile entering or leaving the view makes
// the page fetch its grid again instead.
func (ts *tileStream) send(changes map[int64]live.Change, now time.Time) {
	resync := false
	for id, ch := range changes {
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
		if ch&live.ChangeState != 0 {
			ts.sendTile(&t, now)
		} else {
			ts.sendMeters(&t, now)
		}
	}
	if resync {
		ts.out.event("resync", []byte("1"))
	}
}

func (ts *tileStream) sendTile(t *live.Tile, now time.Time) {
	v := newTileView(t, ts.opts, now)
	ts.buf.Reset()
	if err := ts.s.views.shared.ExecuteTemplate(&ts.buf, "partials/"+PartialTile, v); err != nil {
		ts.s.log.Error("render tile", "channel", t.ChannelID, "err", err)
		return
	}
	ts.out.event("t"+strconv.FormatInt(t.ChannelID, 10), ts.buf.Bytes())
	ts.meters[t.ChannelID] = ts.meterHash(v)
}

// sendMeters sends a tile's meters, unless they would draw the same as the
// last ones sent.
func (ts *tileStream) sendMeters(t *live.Tile, now time.Time) {
	v := newTileView(t, ts.opts, now)
	ts.buf.Reset()
	if err := ts.s.views.shared.ExecuteTemplate(&ts.buf, "partials/"+PartialTileMeters, v); err != nil {
		ts.s.log.Error("render meters", "channel", t.ChannelID, "err", err)
		return
	}
	h := hashBytes(ts.buf.Bytes())
	if ts.meters[t.ChannelID] == h {
		return
	}
	ts.meters[t.ChannelID] = h
	ts.out.event("m"+strconv.FormatInt(t.ChannelID, 10), ts.buf.Bytes())
}

// meterHash hashes the meters partial of v, to skip sending what the page
// already shows.
func (ts *tileStream) meterHash(v tileView) uint64 {
	var b bytes.Buffer
	if err := ts.s.views.shared.ExecuteTemplate(&b, "partials/"+PartialTileMeters, v); err != nil {
		return 0
	}
	return hashBytes(b.Bytes())
}

func hashBytes(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
