package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"micboard/app/device"
)

// A channel nobody watches (the instance holding its receiver's lease
// died) is drawn greyed over its last colour and says since when, to the
// second, on the page and in the live update; its status is unchanged. A
// watcher's reading draws it plain again.
func TestUnwatchedTileIsGreyedAndSaysSince(t *testing.T) {
	r := newBoardRig(t, "HH01 Fatai", "HH02 Bo")
	r.apply(1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) })
	ts := httptest.NewServer(r.srv.Handler())
	t.Cleanup(ts.Close)
	id1, _ := r.board.ChannelID(r.rx.ID, 1)
	s := openStream(t, ts.URL, fmt.Sprintf("/board/events?since=%d", r.board.Version()))
	s.next(t, func(n string) bool { return n == "ping" })

	since := time.Now().Add(-4 * time.Second).Truncate(time.Second)
	r.board.SetUnwatched([]int64{r.rx.ID}, since)
	mark := `no data since <time datetime="` + html.EscapeString(since.UTC().Format(time.RFC3339)) + `" data-since-s>` +
		since.Local().Format("15:04:05") + `</time>`

	name, data := s.next(t, func(n string) bool { return n == fmt.Sprintf("t%d", id1) })
	if !strings.Contains(data, "data-unwatched") || !strings.Contains(data, mark) {
		t.Fatalf("the live tile %s lacks the mark %q: %.600s", name, mark, data)
	}

	res, page := get(t, r.srv, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	tile := between(page, fmt.Sprintf(`<article id="tile-%d"`, id1), "</article>")
	for _, want := range []string{`data-status="CRITICAL"`, "bg-critical", " data-unwatched", mark} {
		if !strings.Contains(tile, want) {
			t.Errorf("unwatched tile lacks %q: %s", want, tile)
		}
	}
	if strings.Contains(tile, "RX_OFFLINE") || strings.Contains(tile, "offline since") {
		t.Errorf("unwatched tile is drawn offline: %s", tile)
	}
	if n := strings.Count(page, " data-unwatched"); n != 2 {
		t.Errorf("%d tiles marked unwatched, want both channels of the receiver", n)
	}
	if !strings.Contains(page, `>1 critical<`) || !strings.Contains(page, `>0 offline<`) {
		t.Errorf("counts moved: %s", between(page, "channels", "</p>"))
	}

	// Its watcher speaks: plain again.
	r.apply(2, func(c *device.ChannelReading) { c.BatteryBars = device.Some(5) })
	_, page = get(t, r.srv, "/", nil)
	if strings.Contains(page, "data-unwatched") || strings.Contains(page, "no data since") {
		t.Error("a tile stays marked unwatched after its receiver was read")
	}
}
