package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/web"
)

// boardRig is a web server over a real database and a board loaded from it.
type boardRig struct {
	st    *store.Store
	board *live.Board
	srv   *web.Server
	rx    *model.Receiver
}

func newBoardRig(t *testing.T, names ...string) *boardRig {
	t.Helper()
	ctx := context.Background()
	bdb := dbtest.New(t)
	st := store.New(bdb)
	rep := service.DeviceReport{Vendor: "shure", Host: "10.0.0.5", Port: 2202, Model: "AD4Q", Name: "Rack A"}
	for i, n := range names {
		f := 550000 + i*25
		rep.Channels = append(rep.Channels, service.ChannelReport{Number: i + 1, Name: n, FrequencyKHz: &f})
	}
	rx, _, err := service.NewDevices(st).UpsertFromReport(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	board.SetOnline(rx.ID, true) // as the monitor does once the receiver answers
	srv, err := web.New(web.Deps{Config: testConfig(t), DB: bdb, Version: "test", Board: board, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return &boardRig{st: st, board: board, srv: srv, rx: rx}
}

// apply feeds one reading for channel ch.
func (r *boardRig) apply(ch int, fill func(*device.ChannelReading)) {
	rd := device.Reading{At: time.Now()}
	fill(rd.Channel(ch))
	r.board.Apply(r.rx.ID, rd)
}

func TestBoardShowsEveryTileWithFormattedValues(t *testing.T) {
	r := newBoardRig(t, "HH01 Fatai", "BP02_Ana Lucía", "HH03 Jun", "Spare")
	r.apply(1, func(c *device.ChannelReading) {
		c.BatteryBars = device.Some(5)
		c.BatteryMinutes = device.Some(460)
		c.RFLevelDBm = []float64{-60, -75}
		c.Diversity = device.Some("BR")
		c.AudioLevelDBFS = device.Some(-20.0)
		c.TxModel = device.Some("AD2")
	})
	r.apply(2, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) })
	r.apply(3, func(c *device.ChannelReading) { c.BatteryBars = device.Some(3) })

	res, body := get(t, r.srv, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{
		`id="tile-`, `data-status="GOOD"`, `data-status="CRITICAL"`, `data-status="REPLACE"`, `data-status="TX_OFF"`,
		`>Fatai<`, `>HH01<`, `>Ana Lucía<`, `>BP02<`, // slot and name split, underscore read as space
		`550.000`, `7h 40m`, `AD2`, `sse-connect="/board/events?since=`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("board lacks %q", want)
		}
	}
	if n := strings.Count(body, `<article id="tile-`); n != 4 {
		t.Fatalf("%d tiles, want 4", n)
	}
	if !strings.Contains(body, `data-attention="2"`) || !strings.Contains(body, `>1 critical<`) || !strings.Contains(body, `>1 replace<`) || !strings.Contains(body, `>0 offline<`) {
		t.Errorf("attention count wrong: %s", between(body, "channels", "</p>"))
	}
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	j := strings.Index(s, b)
	if i < 0 || j < i {
		return ""
	}
	return s[i:j]
}

func TestBoardFiltersAndSorts(t *testing.T) {
	r := newBoardRig(t, "HH03 Cy", "HH01 Ana", "BP02 Bo")
	r.apply(1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) })
	r.apply(2, func(c *device.ChannelReading) { c.BatteryBars = device.Some(5) })
	r.apply(3, func(c *device.ChannelReading) { c.BatteryBars = device.Some(5) })

	order := func(body string) string {
		var got []string
		for _, slot := range []string{"HH01", "HH03", "BP02"} {
			if i := strings.Index(body, `data-slot="`+slot+`"`); i >= 0 {
				got = append(got, fmt.Sprintf("%06d%s", i, slot))
			}
		}
		// sort by position
		for i := range got {
			for j := i + 1; j < len(got); j++ {
				if got[j] < got[i] {
					got[i], got[j] = got[j], got[i]
				}
			}
		}
		for i := range got {
			got[i] = got[i][6:]
		}
		return strings.Join(got, ",")
	}
	cases := []struct{ query, want string }{
		{"/", "HH03,HH01,BP02"},
		{"/?sort=slot", "BP02,HH01,HH03"},
		{"/?sort=name", "HH01,BP02,HH03"},
		{"/?status=attention", "HH03"},
		{"/?vendor=sennheiser", ""},
		{"/?vendor=shure&sort=slot", "BP02,HH01,HH03"},
	}
	for _, c := range cases {
		res, body := get(t, r.srv, c.query, nil)
		if res.StatusCode != 200 || order(body) != c.want {
			t.Errorf("%s: status %d, order %q, want %q", c.query, res.StatusCode, order(body), c.want)
		}
	}
	// A saved group keeps its order and spacers.
	ids := map[string]int64{}
	for _, tl := range r.board.Tiles() {
		ids[tl.Slot] = tl.ChannelID
	}
	if _, err := service.NewGroups(r.st).Save(context.Background(), 2, "Vox", []int64{ids["BP02"], service.Spacer, ids["HH03"]}); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, r.srv, "/?group=2", nil)
	if order(body) != "BP02,HH03" || strings.Count(body, "tile-spacer") != 1 {
		t.Fatalf("group 2: order %q, spacers %d", order(body), strings.Count(body, "tile-spacer"))
	}
	for _, bad := range []string{"/?group=12", "/?group=5", "/?loc=abc", "/?loc=999", "/?status=weird", "/?sort=<x>", "/?vendor=acme"} {
		res, body := get(t, r.srv, bad, map[string]string{"Accept": "text/html"})
		if res.StatusCode != http.StatusBadRequest || strings.Contains(body, "<x>") {
			t.Errorf("%s: status %d", bad, res.StatusCode)
		}
	}
}

func TestBoardLocationIncludesChildLocations(t *testing.T) {
	r := newBoardRig(t, "HH01 Ana", "HH02 Bo")
	ctx := context.Background()
	locs := service.NewLocations(r.st)
	hall, _ := locs.Create(ctx, service.LocationInput{Name: "Hall"})
	wings, _ := locs.Create(ctx, service.LocationInput{Name: "Wings", ParentID: &hall.ID})
	other, _ := locs.Create(ctx, service.LocationInput{Name: "Studio"})
	if _, err := locs.AssignDevices(ctx, wings.ID, r.rx.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.board.LoadReceiver(ctx, r.st, r.rx.ID); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{
		fmt.Sprintf("/?loc=%d", hall.ID):  2,
		fmt.Sprintf("/?loc=%d", wings.ID): 2,
		fmt.Sprintf("/?loc=%d", other.ID): 0,
	} {
		_, body := get(t, r.srv, q, nil)
		if n := strings.Count(body, `<article id="tile-`); n != want {
			t.Errorf("%s: %d tiles, want %d", q, n, want)
		}
	}
}

func TestDeviceNamesAreEscaped(t *testing.T) {
	r := newBoardRig(t, `HH01 <script>alert(1)</script>`, `BP02 "Dan's" mic`, "HH03 Zoë 张伟")
	r.board.Apply(r.rx.ID, device.Reading{Name: device.Some(`<img src=x onerror=alert(1)>`)})
	_, body := get(t, r.srv, "/", nil)
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatal("a device name was rendered as markup")
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;Dan&#39;s&#34; mic", "Zoë 张伟"} {
		if !strings.Contains(body, want) {
			t.Errorf("board lacks the escaped text %q", want)
		}
	}
	id, _ := r.board.ChannelID(r.rx.ID, 1)
	_, detail := get(t, r.srv, fmt.Sprintf("/channels/%d", id), map[string]string{"HX-Request": "true"})
	if strings.Contains(detail, "<script>alert") || strings.Contains(detail, "<img src=x") || !strings.Contains(detail, "&lt;img src=x") {
		t.Fatal("the detail panel rendered a device name as markup")
	}
}

func TestChannelDetail(t *testing.T) {
	r := newBoardRig(t, "HH01 Fatai")
	for i := 0; i < 5; i++ {
		r.apply(1, func(c *device.ChannelReading) {
			c.BatteryBars = device.Some(4)
			c.RFLevelDBm = []float64{-55}
			c.AudioLevelDBFS = device.Some(-18.0)
		})
	}
	id, _ := r.board.ChannelID(r.rx.ID, 1)
	res, body := get(t, r.srv, fmt.Sprintf("/channels/%d", id), map[string]string{"HX-Request": "true"})
	if res.StatusCode != 200 || strings.Contains(body, "<html") {
		t.Fatalf("htmx detail: %d", res.StatusCode)
	}
	for _, want := range []string{"Fatai", "Rack A", "10.0.0.5:2202", "connecting", "<polyline", "Battery", "RF", "Audio", "Last 30 minutes"} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if res, _ := get(t, r.srv, fmt.Sprintf("/channels/%d", id), nil); res.StatusCode != 200 {
		t.Fatalf("detail page: %d", res.StatusCode)
	}
	for _, bad := range []string{"/channels/0", "/channels/x", "/channels/999999"} {
		if res, _ := get(t, r.srv, bad, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}
}

// sseClient reads events from a live stream.
type sseClient struct {
	events chan [2]string
	cancel context.CancelFunc
}

func openStream(t *testing.T, base, path string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("stream %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	c := &sseClient{events: make(chan [2]string, 1000), cancel: cancel}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var name string
		var data strings.Builder
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "data: "):
				data.WriteString(line[6:])
				data.WriteByte('\n')
			case line == "" && name != "":
				c.events <- [2]string{name, data.String()}
				name = ""
				data.Reset()
			}
		}
		close(c.events)
	}()
	t.Cleanup(cancel)
	return c
}

// next waits for an event whose name matches, skipping pings.
func (c *sseClient) next(t *testing.T, match func(name string) bool) (string, string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatal("stream closed")
			}
			if match(ev[0]) {
				return ev[0], ev[1]
			}
		case <-deadline:
			t.Fatal("no matching event within 5 s")
		}
	}
}

func TestStreamSendsOnlyChangedTilesAndMeters(t *testing.T) {
	r := newBoardRig(t, "HH01 Fatai", "HH02 Bo")
	ts := httptest.NewServer(r.srv.Handler())
	t.Cleanup(ts.Close) // after the streams close (cleanups run last-in first-out)
	id1, _ := r.board.ChannelID(r.rx.ID, 1)
	id2, _ := r.board.ChannelID(r.rx.ID, 2)

	s := openStream(t, ts.URL, fmt.Sprintf("/board/events?since=%d", r.board.Version()))
	s.next(t, func(n string) bool { return n == "ping" })

	// A state change sends the whole tile, once, as the same template the page uses.
	r.apply(1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) })
	name, data := s.next(t, func(n string) bool { return n != "ping" })
	if name != fmt.Sprintf("t%d", id1) || !strings.Contains(data, `data-status="CRITICAL"`) || !strings.Contains(data, `sse-swap="t`) {
		t.Fatalf("state change sent %s: %.200s", name, data)
	}
	_, page := get(t, r.srv, "/", nil)
	if !strings.Contains(page, strings.TrimSpace(strings.Split(data, "\n")[0])) {
		t.Fatal("the live tile does not start like the page's tile")
	}

	// A meter change sends only that tile's meter line, batched.
	r.apply(2, func(c *device.ChannelReading) { c.AudioLevelDBFS = device.Some(-10.0) })
	name, data = s.next(t, func(n string) bool { return n != "ping" })
	if name != "meters" || strings.TrimSpace(data) != fmt.Sprintf("%d - 84", id2) {
		t.Fatalf("meter change sent %s: %q", name, data)
	}
	// Meters that draw the same as the page shows are not sent again.
	r.apply(2, func(c *device.ChannelReading) { c.AudioLevelDBFS = device.Some(-10.1) })
	time.Sleep(2 * streamFlush)
	r.apply(2, func(c *device.ChannelReading) {
		c.AudioLevelDBFS = device.Some(-40.0)
		c.RFLevelDBm = []float64{-60, -100}
		c.Diversity = device.Some("BX")
	})
	name, data = s.next(t, func(n string) bool { return n != "ping" })
	if name != "meters" || strings.TrimSpace(data) != fmt.Sprintf("%d A:50 B:0x AF:34", id2) {
		t.Fatalf("second meter change sent %s: %q", name, data)
	}

	// Many changes within one flush arrive as one event per tile.
	for i := 0; i < 50; i++ {
		r.apply(1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(i % 6) })
	}
	time.Sleep(600 * time.Millisecond)
	count := 0
	drain := time.After(300 * time.Millisecond)
loop:
	for {
		select {
		case ev := <-s.events:
			if ev[0] == fmt.Sprintf("t%d", id1) {
				count++
			}
		case <-drain:
			break loop
		}
	}
	if count == 0 || count > 4 {
		t.Fatalf("50 changes in ~0 s sent %d tile events; want coalesced to a few", count)
	}
}

// streamFlush is how often the server flushes a stream.
const streamFlush = 250 * time.Millisecond

func TestStreamAsksForResyncWhenATileLeavesTheView(t *testing.T) {
	r := newBoardRig(t, "HH01 Fatai", "HH02 Bo")
	r.apply(1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) })
	ts := httptest.NewServer(r.srv.Handler())
	t.Cleanup(ts.Close) // after the streams close (cleanups run last-in first-out)
	s := openStream(t, ts.URL, fmt.Sprintf("/board/events?status=attention&since=%d", r.board.Version()))
	s.next(t, func(n string) bool { return n == "ping" })
	// The battery is swapped: the tile no longer needs attention.
	r.apply(1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(5) })
	if name, _ := s.next(t, func(n string) bool { return n != "ping" }); name != "resync" {
		t.Fatalf("got %s, want resync", name)
	}
	res, body := get(t, r.srv, "/board/grid?status=attention", nil)
	if res.StatusCode != 200 || strings.Contains(body, "<article") || !strings.Contains(body, "Nothing needs attention") ||
		!strings.Contains(body, `hx-trigger="resync, sse:resync"`) || !strings.Contains(body, `hx-get="/board/grid?status=attention"`) {
		t.Fatalf("grid after resync: %d %.300s", res.StatusCode, body)
	}
}

func TestKioskPages(t *testing.T) {
	r := newBoardRig(t, "HH01 Fatai", "HH02 Bo")
	ctx := context.Background()
	ks := service.NewKiosks(r.st)
	k, token, err := ks.Create(ctx, service.KioskInput{Name: "Wings TV", ViewQuery: "sort=slot", Columns: 6, ShowRF: true})
	if err != nil {
		t.Fatal(err)
	}
	res, body := get(t, r.srv, "/kiosk/"+token, nil)
	if res.StatusCode != 200 {
		t.Fatalf("kiosk: %d", res.StatusCode)
	}
	for _, want := range []string{`data-kiosk`, `Wings TV`, `repeat(6,minmax(0,1fr))`, `tile-l`, `hx-trigger="every 30s"`, `/kiosk/` + token + `/events?since=`} {
		if !strings.Contains(body, want) {
			t.Errorf("kiosk lacks %q", want)
		}
	}
	for _, unwanted := range []string{`<header class="sticky`, `<footer`, `data-detail=`, `>AF<`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("kiosk shows %q (chrome, clicks or a hidden meter)", unwanted)
		}
	}
	if n := strings.Count(body, `<article id="tile-`); n != 2 {
		t.Fatalf("kiosk tiles = %d", n)
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the kiosk URL may leak through the referrer")
	}
	// The page load counts as a heartbeat; so does the heartbeat call.
	req := httptest.NewRequest(http.MethodPost, "/kiosk/"+token+"/heartbeat", nil)
	rec := httptest.NewRecorder()
	r.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("heartbeat: %d", rec.Code)
	}
	list, _ := ks.List(ctx)
	if list[0].LastSeenAt == nil {
		t.Fatal("heartbeat not recorded")
	}

	// The grid fetched after a reconnect names itself for the next one.
	res, body = get(t, r.srv, "/kiosk/"+token+"/grid", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `hx-get="/kiosk/`+token+`/grid"`) || strings.Count(body, "<article") != 2 {
		t.Fatalf("kiosk grid: %d %.300s", res.StatusCode, body)
	}
	if res, _ := get(t, r.srv, "/kiosk/not-a-token", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown token: %d", res.StatusCode)
	}
	if _, err := ks.Revoke(ctx, k.Name); err != nil {
		t.Fatal(err)
	}
	res, body = get(t, r.srv, "/kiosk/"+token, nil)
	if res.StatusCode != http.StatusGone || !strings.Contains(body, "This display was revoked") || strings.Contains(body, "<article") {
		t.Fatalf("revoked: %d %.200s", res.StatusCode, body)
	}
	rec = httptest.NewRecorder()
	r.srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/kiosk/"+token+"/heartbeat", nil))
	if rec.Code != http.StatusGone {
		t.Fatalf("revoked heartbeat: %d", rec.Code)
	}
	if res, _ := get(t, r.srv, "/kiosk/"+token+"/events", nil); res.StatusCode != http.StatusGone && res.StatusCode != http.StatusNotFound {
		t.Fatalf("revoked stream: %d", res.StatusCode)
	}
}
