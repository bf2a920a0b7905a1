package web

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/live"
)

// apiBoardEvents answers GET /api/v1/board/events: the board's changes as
// a stream of server-sent events with JSON data, for integrations.
//
//	event: channel   a channel's state changed: the whole channel, as in /api/v1/board
//	event: meters    RF and audio moved: [{channel_id, rf_level_dbm, audio_dbfs, peak_dbfs, quality}]
//	event: removed   a channel left the board: {"channel_id": N}
//	event: resync    changes were missed: read /api/v1/board again
//	event: ping      every 2 s, so a client can tell a quiet board from a dead link
//
// Every event's id is the board version it brings the client up to; a
// client that reconnects with Last-Event-ID (or ?since=) gets what changed
// meanwhile. Like the pages' streams, the changes are read and encoded once
// per tick for every client (apiEventHub); a client's goroutine only copies
// the bytes to its socket.
func (s *Server) apiBoardEvents(c echo.Context) error {
	since, err := readSince(c)
	if err != nil {
		return err
	}
	r := c.Request()
	write, err := openEventStream(c)
	if err != nil {
		return err
	}

	hub := s.api().events
	sub, first := hub.join(since)
	defer hub.leave(sub)

	if err := write(first); err != nil {
		return nil
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.stopping:
			return nil
		case frame := <-sub.frames:
			if sub.lagged.Swap(false) {
				var b bytes.Buffer
				appendJSONEvent(&b, "resync", 0, []byte(`{}`))
				if err := write(b.Bytes()); err != nil {
					return nil
				}
			}
			if err := write(frame); err != nil {
				return nil
			}
		}
	}
}

// readSince reads the version a client has seen: Last-Event-ID, else since.
func readSince(c echo.Context) (uint64, error) {
	v, name := c.Request().Header.Get("Last-Event-ID"), "Last-Event-ID"
	if v == "" {
		v, name = c.QueryParam("since"), "since"
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, badField(name, "must be a board version (a whole number), not %s", quoteInput(v))
	}
	return n, nil
}

// apiEventHub follows the board's journal once per tick for every API
// stream, encodes the tick's events once, and hands the same bytes to each
// stream; it never waits for a stream (a full queue marks it lagging, and
// that stream is told to resync).
type apiEventHub struct {
	s *Server

	mu      sync.Mutex
	subs    map[*streamSub]struct{}
	cursor  uint64
	running bool
	ticks   uint64
}

// join adds a stream and returns its first bytes: the reconnect delay,
// what changed since the version the client saw (or a resync), a ping.
func (h *apiEventHub) join(since uint64) (*streamSub, []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		h.cursor = h.s.board.Version()
		h.running = true
		go h.run()
	}
	if h.subs == nil {
		h.subs = map[*streamSub]struct{}{}
	}
	sub := &streamSub{frames: make(chan []byte, subQueue)}
	h.subs[sub] = struct{}{}

	var out bytes.Buffer
	out.WriteString("retry: " + strconv.Itoa(streamRetry) + "\n\n")
	if since != 0 {
		// Up to the hub's cursor: what comes after, the hub sends.
		pending, _, complete := h.s.changesSince(since)
		if !complete || len(pending) > maxCatchUp {
			appendJSONEvent(&out, "resync", h.cursor, []byte(`{}`))
		} else {
			encodeChanges(h.s.board, &out, pending, h.cursor)
		}
	}
	appendJSONEvent(&out, "ping", h.cursor, pingJSON(time.Now()))
	return sub, out.Bytes()
}

func (h *apiEventHub) leave(sub *streamSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
}

// clients is how many API streams are open.
func (h *apiEventHub) clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *apiEventHub) run() {
	tickUntilIdle(h.s.stopping, func() {
		h.mu.Lock()
		h.running = false
		h.mu.Unlock()
	}, h.tick)
}

// tick reads the journal once and sends the same frame to every stream; it
// reports false (and stops) when no stream is left.
func (h *apiEventHub) tick(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		h.running = false
		return false
	}
	h.ticks++
	pending, next, complete := h.s.changesSince(h.cursor)
	h.cursor = next
	var out bytes.Buffer
	if complete {
		encodeChanges(h.s.board, &out, pending, next)
	} else {
		appendJSONEvent(&out, "resync", next, []byte(`{}`))
	}
	if h.ticks%pingEveryTicks == 0 {
		appendJSONEvent(&out, "ping", next, pingJSON(now))
	}
	if out.Len() == 0 {
		return true
	}
	frame := out.Bytes()
	for sub := range h.subs {
		select {
		case sub.frames <- frame:
		default:
			sub.lagged.Store(true)
		}
	}
	return true
}

// apiMetersJSON is one channel's meters in a "meters" event.
type apiMetersJSON struct {
	ChannelID  int64     `json:"channel_id"`
	RFLevelDBm []float64 `json:"rf_level_dbm"`
	AudioDBFS  *float64  `json:"audio_dbfs"`
	PeakDBFS   *float64  `json:"peak_dbfs"`
	Quality    *int      `json:"quality"`
}

// encodeChanges writes the events for a set of changed channels: the whole
// channel for a state change, its meters (in one batch) for a meter change,
// "removed" for a channel gone from the board.
func encodeChanges(b *live.Board, out *bytes.Buffer, pending map[int64]live.Change, version uint64) {
	if len(pending) == 0 {
		return
	}
	ids := make([]int64, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	tiles := b.TilesByID(ids)
	held := make(map[int64]bool, len(tiles))
	var meters []apiMetersJSON
	for i := range tiles {
		t := &tiles[i]
		held[t.ChannelID] = true
		if pending[t.ChannelID]&live.ChangeState != 0 {
			data, err := json.Marshal(tileJSON(t))
			if err == nil {
				appendJSONEvent(out, "channel", version, data)
			}
			continue
		}
		rf := t.RFLevelDBm
		if rf == nil {
			rf = []float64{}
		}
		meters = append(meters, apiMetersJSON{ChannelID: t.ChannelID, RFLevelDBm: rf, AudioDBFS: t.AudioDBFS,
			PeakDBFS: t.PeakDBFS, Quality: t.Quality})
	}
	if len(meters) > 0 {
		if data, err := json.Marshal(meters); err == nil {
			appendJSONEvent(out, "meters", version, data)
		}
	}
	for _, id := range ids {
		if !held[id] {
			appendJSONEvent(out, "removed", version, []byte(`{"channel_id":`+strconv.FormatInt(id, 10)+`}`))
		}
	}
}

func pingJSON(now time.Time) []byte {
	return []byte(`{"time":"` + now.UTC().Format(time.RFC3339) + `"}`)
}

// appendJSONEvent encodes one event whose data is one line of JSON (as
// json.Marshal writes it), with the board version as its id (0: none).
func appendJSONEvent(out *bytes.Buffer, name string, id uint64, data []byte) {
	out.WriteString("event: ")
	out.WriteString(name)
	out.WriteByte('\n')
	if id != 0 {
		out.WriteString("id: ")
		out.WriteString(strconv.FormatUint(id, 10))
		out.WriteByte('\n')
	}
	out.WriteString("data: ")
	out.Write(data)
	out.WriteString("\n\n")
}
