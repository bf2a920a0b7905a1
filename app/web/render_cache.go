package web

import (
	"bytes"
	"html/template"
	"runtime"
	"strconv"
	"sync"
	"time"

	"micboard/app/live"
)

// renderedTile is a tile drawn once for one version and one set of options,
// shared by the page and every live stream that shows it: a thousand open
// boards cost one render per change, not a thousand.
type renderedTile struct {
	version uint64
	html    template.HTML
	meters  string // meterLine of the same version
}

type renderKey struct {
	id   int64
	opts tileOptions
}

// tileCache holds the latest rendering of every tile per options.
type tileCache struct {
	mu sync.Mutex
	m  map[renderKey]*renderedTile
}

// tile returns t rendered with opts, drawing it only when its version moved.
func (s *Server) tile(t *live.Tile, opts tileOptions, now time.Time) (*renderedTile, error) {
	key := renderKey{t.ChannelID, opts}
	s.tiles.mu.Lock()
	r := s.tiles.m[key]
	s.tiles.mu.Unlock()
	if r != nil && r.version == t.Version {
		return r, nil
	}
	v := newTileView(t, opts, now)
	if opts.Clickable {
		// Built here rather than with the template's url helper: a route
		// lookup per tile is a fifth of a cold board's render time.
		v.DetailURL = s.channelPathPrefix + strconv.FormatInt(t.ChannelID, 10)
	}
	var buf bytes.Buffer
	if err := s.views.shared.ExecuteTemplate(&buf, "partials/"+PartialTile, v); err != nil {
		return nil, err
	}
	r = &renderedTile{version: t.Version, html: template.HTML(buf.String()), meters: meterLine(t.ChannelID, v.Meters)}
	s.tiles.mu.Lock()
	if s.tiles.m == nil {
		s.tiles.m = map[renderKey]*renderedTile{}
	}
	if old := s.tiles.m[key]; old == nil || old.version <= r.version {
		s.tiles.m[key] = r
	}
	s.tiles.mu.Unlock()
	return r, nil
}

// renderTiles renders tiles (from the cache where their version did not
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
				out[i] = r.html
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
