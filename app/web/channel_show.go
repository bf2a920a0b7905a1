package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/store"
)

// channelDetail is the data of the channel panel opened from a tile.
type channelDetail struct {
	Tile       tileView
	Live       live.Tile
	Receiver   *model.Receiver
	Connection *model.Connection
	Assignment *model.Assignment
	Charts     []chart
	Facts      []fact
	ConnFacts  []fact
	Now        time.Time
	// Reason says which reading made the status, from model.Reason.
	Reason string
}

// fact is one labelled value of the detail panel.
type fact struct {
	Label string
	Value string
	Warn  bool
}

// channelShow renders the detail of one channel (an htmx panel, or a page
// when opened directly).
func (s *Server) channelShow(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return echo.NewHTTPError(http.StatusNotFound, "There is no such channel.")
	}
	t, ok := s.board.Tile(id)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "This channel is not on the board: its receiver may be inactive or removed.")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	now := time.Now()
	d := channelDetail{Tile: newTileView(&t, tileOptions{ShowRF: true, ShowAudio: true}, now), Live: t, Now: now}
	if s.store != nil {
		// The stored facts add to the live ones; with the database down and
		// nothing remembered, the panel shows the live ones alone.
		rx, err := s.receiver(ctx, t.ReceiverID)
		switch {
		case err == nil:
			d.Receiver, d.Connection = rx, rx.Connection
		case !errors.Is(err, errStoreUnavailable):
			return err
		}
		a, err := s.channelAssignment(ctx, id)
		switch {
		case err == nil:
			d.Assignment = a
		case !errors.Is(err, store.ErrNotFound) && !errors.Is(err, errStoreUnavailable):
			return err
		}
	}
	d.Reason = tileReason(&t, now)
	d.Facts = channelFacts(&t, d.Tile)
	d.ConnFacts = connectionFacts(d.Receiver, d.Connection, now)
	d.Charts = historyCharts(s.board.History(id), now)
	noStore(c)
	if c.Request().Header.Get("HX-Request") == "true" {
		return s.partial(c, http.StatusOK, PartialChannelDetail, d)
	}
	// Opened directly (a shared link, a reload): the board of the view in
	// the query behind the open panel, as when the panel opened from a tile.
	q, data, err := s.boardView(c)
	if err != nil {
		return err
	}
	data.EventsURL = s.echo.Reverse(RouteBoardEvents) + "?" + withSince(q, data.Version)
	data.Detail = &d
	return s.page(c, http.StatusOK, PageBoard, View{Title: d.Tile.Name, Data: data})
}

func channelFacts(t *live.Tile, v tileView) []fact {
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	out := []fact{
		{Label: "Device name", Value: dash(t.DeviceName)},
		{Label: "Frequency", Value: dash(v.Frequency + map[bool]string{true: " MHz", false: ""}[v.Frequency != ""])},
		{Label: "Transmitter", Value: dash(t.TxModel)},
		{Label: "Battery", Value: v.Battery, Warn: t.Status == model.StatusCritical},
		{Label: "Battery type", Value: dash(t.BatteryType)},
		{Label: "RF", Value: dash(v.RFText)},
		{Label: "Antennas", Value: dash(t.Diversity)},
		{Label: "Audio", Value: dash(v.AudioText)},
	}
	if t.Quality != nil {
		out = append(out, fact{Label: "Link quality", Value: fmt.Sprintf("%d / %d", *t.Quality, max(t.QualityMax, 1))})
	}
	if t.TxOffsetDB != nil {
		out = append(out, fact{Label: "TX offset", Value: fmt.Sprintf("%+d dB", *t.TxOffsetDB)})
	}
	if t.Muted {
		out = append(out, fact{Label: "Mute", Value: "muted at the receiver", Warn: true})
	}
	return out
}

func connectionFacts(rx *model.Receiver, c *model.Connection, now time.Time) []fact {
	if rx == nil {
		return nil
	}
	out := []fact{
		{Label: "Receiver", Value: strings.TrimSpace(rx.Name + " · " + rx.Model)},
		{Label: "Address", Value: fmt.Sprintf("%s:%d", rx.Host, rx.Port)},
		{Label: "Firmware", Value: orDash(rx.Firmware)},
		{Label: "Lifecycle", Value: string(rx.Status), Warn: rx.Status != model.LifecycleOnline},
	}
	if rx.Location != nil {
		out = append(out, fact{Label: "Location", Value: rx.Location.Name})
	}
	if c == nil {
		return out
	}
	out = append(out, fact{Label: "Connection", Value: string(c.Status), Warn: c.Status != model.ConnConnected})
	if c.LastMessageAt != nil {
		out = append(out, fact{Label: "Last message", Value: ago(*c.LastMessageAt, now)})
	}
	if c.ConnectedAt != nil && c.Status == model.ConnConnected {
		out = append(out, fact{Label: "Connected for", Value: now.Sub(*c.ConnectedAt).Round(time.Second).String()})
	}
	if c.ErrorCount > 0 {
		out = append(out, fact{Label: "Errors", Value: fmt.Sprintf("%d, last: %s", c.ErrorCount, c.ErrorMessage), Warn: true})
	}
	if c.ReconnectAttempts > 0 {
		out = append(out, fact{Label: "Reconnect attempts", Value: strconv.Itoa(c.ReconnectAttempts), Warn: true})
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// tileReason explains a tile's health in the words of model.Reason, from
// the figures the board derived it with.
func tileReason(t *live.Tile, now time.Time) string {
	in := model.StatusInput{
		Now: now, ReceiverOnline: t.Online, Battery: t.Battery, LastBattery: t.LastBattery,
		LastHeard: t.LastHeard, LastPeakAt: t.LastPeakAt, Assigned: t.Assigned,
		NoBattery: !t.DeviceType.ReportsBattery(),
	}
	h := model.Health{Status: t.Status, Base: t.Base}
	if h.Base == "" { // a snapshot made outside the board
		h = model.DeriveHealth(in)
	}
	return model.Reason(in, h)
}
