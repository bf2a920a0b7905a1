package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/live"
	"micboard/app/model"
)

// boardPage is the data of the board and of its grid partial.
type boardPage struct {
	Query     boardQuery
	Slots     []boardSlot
	Total     int // tiles in the view before the status filter
	Attention int // Critical + Replace + Offline
	Critical  int
	Replace   int
	Offline   int
	Shown     int
	Locations []*model.Location
	Groups    []*model.BoardGroup
	Version   uint64
	EventsURL string
	GridURL   string
	Empty     bool // no receiver on the board at all
	Legend    []statusSwatch
	Kiosk     *kioskView
	Detail    *channelDetail // the channel panel open over the board (/channels/{id})
}

// boardShow renders the board (/) for the view in the URL.
func (s *Server) boardShow(c echo.Context) error {
	q, data, err := s.boardView(c)
	if err != nil {
		return err
	}
	data.EventsURL = s.echo.Reverse(RouteBoardEvents) + "?" + withSince(q, data.Version)
	noStore(c)
	return s.page(c, http.StatusOK, PageBoard, View{Title: "Board", Data: data})
}

// boardGrid renders only the grid, which a page fetches again after its
// live stream reconnects (tiles may have come or gone meanwhile).
func (s *Server) boardGrid(c echo.Context) error {
	_, data, err := s.boardView(c)
	if err != nil {
		return err
	}
	noStore(c)
	return s.partial(c, http.StatusOK, PartialBoardGrid, data)
}

// boardOptions is how the board draws tiles: every meter, clickable.
var boardOptions = tileOptions{ShowRF: true, ShowAudio: true, Clickable: true, Size: model.TileMedium}

// boardView arranges the board for the view in the URL, with the address
// its grid re-draws from.
func (s *Server) boardView(c echo.Context) (boardQuery, *boardPage, error) {
	q, err := parseBoardQuery(c.QueryParams())
	if err != nil {
		return q, nil, err
	}
	data, err := s.boardData(c.Request().Context(), q, boardOptions)
	if err != nil {
		return q, nil, err
	}
	data.GridURL = s.echo.Reverse(RouteBoardGrid) + "?" + q.Encode()
	return q, data, nil
}

// Cleared is the view with every filter off (key 0): all channels, in the
// order chosen.
func (q boardQuery) Cleared() string {
	if q.Sort != "" {
		return "?sort=" + url.QueryEscape(q.Sort)
	}
	return "?"
}

// Filtered reports a view that leaves channels out.
func (q boardQuery) Filtered() bool {
	return q.Location != 0 || q.Group != 0 || q.Vendor != "" || q.Status != ""
}

// boardData arranges the live tiles for a view.
func (s *Server) boardData(ctx context.Context, q boardQuery, opts tileOptions) (*boardPage, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	f, err := s.resolveView(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.boardDataOf(ctx, f, opts)
}

// boardDataOf arranges the board of a resolved view.
func (s *Server) boardDataOf(ctx context.Context, f *viewFilter, opts tileOptions) (*boardPage, error) {
	q := f.q
	var err error
	version := s.board.Version()
	tiles := s.board.Tiles()
	now := time.Now()
	data := &boardPage{Query: q, Version: version, Empty: len(tiles) == 0, Legend: statusLegend}

	// The counts cover the view without its status filter, so "3 need
	// attention" stays visible while the filter is off.
	scope := *f
	scope.q.Status = ""
	for i := range tiles {
		t := &tiles[i]
		if !scope.match(t) {
			continue
		}
		data.Total++
		if !t.NeedsAttention() {
			continue
		}
		data.Attention++
		switch t.Base {
		case model.StatusRxOffline:
			data.Offline++
		case model.StatusCritical, model.StatusPrevCritical:
			data.Critical++
		default:
			data.Replace++
		}
	}
	arranged := f.arrange(tiles)
	data.Shown = len(arranged)
	rendered, err := s.renderTiles(arranged, opts, now)
	if err != nil {
		return nil, err
	}
	data.Slots = f.slots(arranged, func(t *live.Tile) template.HTML { return rendered[t.ChannelID] })

	if s.store != nil {
		// The menus are a convenience: with the database down and nothing
		// remembered, the board shows without them.
		if data.Locations, err = s.activeLocations(ctx); err != nil && !errors.Is(err, errStoreUnavailable) {
			return nil, err
		}
		if data.Groups, err = s.boardGroups(ctx); err != nil && !errors.Is(err, errStoreUnavailable) {
			return nil, err
		}
	}
	return data, nil
}

// withSince adds the board version the page was drawn at, so the stream
// first sends whatever changed between drawing and connecting.
func withSince(q boardQuery, v uint64) string {
	vals := q.Values()
	vals.Set("since", itoa(v))
	return vals.Encode()
}
