package web_test

// Board benchmarks: how long the full board takes to render, how many bytes
// one browser receives per minute from the live stream, and how many live
// streams one instance serves with updates arriving within a second.
//
// All three use the same fleet: 250 four-channel receivers (1,000 channels)
// registered in a fresh database through service.Devices, loaded into a
// live.Board, and given realistic readings. The stream benchmarks serve
// HTTP with web.Server.Serve on a real loopback listener (the production
// http.Server, not a recorder) and read the stream as a browser's
// EventSource would (Accept: text/event-stream, no gzip).
//
// Knobs (environment):
//
//	MICBOARD_BENCH_WINDOW       stream window of BenchmarkBoardBytesPerMinute (default 10s)
//	MICBOARD_BENCH_SSE_CLIENTS  client counts of BenchmarkSSEClients, both modes (default
//	                            idle 100,250,500,750,1000; metering 100,250,500,750,1000)
//	MICBOARD_BENCH_SSE_MODES    idle,metering (default both): a quiet board, or one metered at 1 Hz
//	MICBOARD_BENCH_SSE_ROUNDS   minimum probe rounds per client count (default 5)

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/web"
)

const (
	benchReceivers = 250
	benchChannels  = 4
	benchTiles     = benchReceivers * benchChannels

	// benchMeterEvery is the metering rate of every channel.
	benchMeterEvery = time.Second
	// benchStateEvery spaces the battery changes: 1 % of 1,000 channels
	// per minute is one every 6 s.
	benchStateEvery = time.Minute / (benchTiles / 100)
)

// ---------------------------------------------------------------------------
// The fleet

// benchChannel is one channel's simulated transmitter.
type benchChannel struct {
	id      int64
	number  int
	rf      []float64 // dBm, one per antenna reported
	audio   float64   // dBFS
	talking bool
	div     string
	bars    int
	minutes int
	txOff   bool
	probe   bool // reserved for BenchmarkSSEClients' state changes
}

type benchReceiver struct {
	id      int64
	ad      bool // Axient Digital (RF per antenna, quality) else ULX-D
	offline bool
	ch      [benchChannels]*benchChannel
}

type benchFleet struct {
	db     *bun.DB
	store  *store.Store
	board  *live.Board
	rxs    []*benchReceiver
	probes []*benchChannel
	byID   map[int64]*benchReceiver
}

var benchFirstNames = []string{"Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Ines", "Jo", "Kai", "Lena", "Mo", "Nia", "Oto", "Pia", "Raj"}

// newBenchFleet registers the fleet, loads the board from the database the
// way `micboard serve` does, and applies one full reading (battery,
// transmitter, meters) to every channel. A few channels are off, low or
// critical and one receiver is offline, so every tile shape is drawn.
func newBenchFleet(b *testing.B) *benchFleet {
	b.Helper()
	ctx := context.Background()
	bdb := dbtest.New(b)
	st := store.New(bdb)
	devs := service.NewDevices(st)
	f := &benchFleet{db: bdb, store: st, byID: map[int64]*benchReceiver{}}
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range benchReceivers {
		rx := &benchReceiver{ad: i%2 == 1}
		rep := service.DeviceReport{
			Vendor: model.VendorShure, Host: fmt.Sprintf("10.1.%d.%d", i/200, i%200+1), Port: 2202,
			Model: "ULXD4Q", Name: fmt.Sprintf("Rack %03d", i+1), Serial: fmt.Sprintf("BOARD%04d", i),
		}
		if rx.ad {
			rep.Model = "AD4Q"
		}
		for n := 1; n <= benchChannels; n++ {
			g := i*benchChannels + n - 1
			name := fmt.Sprintf("B%03d %s", g%1000, benchFirstNames[g%len(benchFirstNames)]) // ≤ 8 characters, as ULX-D stores
			if rx.ad {
				name = fmt.Sprintf("HH%03d %s %s", g, benchFirstNames[g%len(benchFirstNames)], benchFirstNames[(g/7)%len(benchFirstNames)])
			}
			freq := 470000 + g*125
			rep.Channels = append(rep.Channels, service.ChannelReport{Number: n, Name: name, FrequencyKHz: &freq})
		}
		r, _, err := devs.UpsertFromReport(ctx, rep)
		if err != nil {
			b.Fatalf("register receiver %d: %v", i, err)
		}
		rx.id = r.ID
		f.rxs = append(f.rxs, rx)
		f.byID[rx.id] = rx
	}
	f.board = live.NewBoard(live.Options{})
	if err := f.board.Load(ctx, st); err != nil {
		b.Fatal(err)
	}
	if n := len(f.board.Tiles()); n != benchTiles {
		b.Fatalf("board has %d tiles, want %d", n, benchTiles)
	}

	at := time.Now()
	for i, rx := range f.rxs {
		for n := 1; n <= benchChannels; n++ {
			g := i*benchChannels + n - 1
			id, ok := f.board.ChannelID(rx.id, n)
			if !ok {
				b.Fatalf("receiver %d has no channel %d on the board", rx.id, n)
			}
			c := &benchChannel{id: id, number: n, bars: 4 + rng.IntN(2), minutes: 240 + rng.IntN(300), div: "AX", audio: -50}
			if rx.ad {
				c.rf, c.div = []float64{-55, -58}, "BB"
			} else {
				c.rf = []float64{-55}
			}
			switch {
			case i < 2: // the probes of BenchmarkSSEClients stay ordinary
				c.probe = true
				f.probes = append(f.probes, c)
			case g%50 == 17:
				c.txOff = true
			case g%100 == 29:
				c.bars, c.minutes = 2, 25
			case g%40 == 13:
				c.bars, c.minutes = 3, 70
			}
			for range 5 {
				c.step(rng, rx.ad)
			}
			rx.ch[n-1] = c
		}
		if unknown := f.board.Apply(rx.id, rx.fullReading(rng, at)); len(unknown) > 0 {
			b.Fatalf("board does not know channels %v of receiver %d", unknown, rx.id)
		}
	}
	last := f.rxs[len(f.rxs)-1]
	last.offline = true
	f.board.SetOnline(last.id, false)

	bg, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.board.Run(bg) }() // the 1 s status clock, as in production
	b.Cleanup(func() { cancel(); <-done })
	return f
}

// step moves the meters as a live channel's do: RF wanders a couple of dB a
// second, audio idles near the floor or follows speech, ULX-D's antenna
// flips now and then. Devices report whole dB.
func (c *benchChannel) step(rng *rand.Rand, ad bool) {
	if c.txOff {
		for i := range c.rf {
			c.rf[i] = benchClamp(-97+math.Round(rng.NormFloat64()*1.5), -100, -90) // the noise floor
		}
		c.audio = -60
		return
	}
	for i := range c.rf {
		c.rf[i] = benchClamp(c.rf[i]+math.Round(rng.NormFloat64()*2), -88, -30)
	}
	if rng.Float64() < 0.1 {
		c.talking = !c.talking
	}
	if c.talking {
		c.audio = benchClamp(math.Round(0.6*c.audio+0.4*-20+rng.NormFloat64()*6), -50, -2)
	} else {
		c.audio = benchClamp(math.Round(-52+rng.NormFloat64()*2), -60, -45)
	}
	if !ad && rng.Float64() < 0.05 {
		if c.div == "AX" {
			c.div = "XB"
		} else {
			c.div = "AX"
		}
	}
}

func benchClamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// meterReading is one SAMPLE per channel, decoded: RF, antenna, audio (plus
// peak, clip flag and quality on Axient). Apply copies what it keeps.
func (rx *benchReceiver) meterReading(at time.Time) device.Reading {
	r := device.Reading{At: at}
	for _, c := range rx.ch {
		cr := r.Channel(c.number)
		cr.RFLevelDBm = c.rf
		cr.Diversity = device.Some(c.div)
		cr.AudioLevelDBFS = device.Some(c.audio)
		if rx.ad {
			cr.AudioPeakDBFS = device.Some(math.Min(c.audio+6, 0))
			cr.AudioPeak = device.Some(false)
			cr.Quality, cr.QualityMax = device.Some(5), 5
			if c.txOff {
				cr.Quality = device.Unknown[int]()
			}
		}
	}
	return r
}

// fullReading adds what the driver's refresh reports: battery, runtime,
// transmitter model and battery type.
func (rx *benchReceiver) fullReading(rng *rand.Rand, at time.Time) device.Reading {
	r := rx.meterReading(at)
	for _, c := range rx.ch {
		cr := r.Channels[c.number]
		if c.txOff {
			cr.BatteryBars, cr.BatteryPercent = device.Unknown[int](), device.Unknown[int]()
			cr.BatteryMinutes, cr.BatteryRuntime = device.Unknown[int](), device.RuntimeUnknown
			cr.TxModel = device.Unknown[string]()
			continue
		}
		benchSetBattery(cr, c)
		cr.BatteryType = device.Some("LION")
		tx := "ULXD1"
		if rx.ad {
			tx = "AD1"
		}
		if rng.IntN(3) == 0 {
			tx = strings.TrimSuffix(tx, "1") + "2" // a handheld
		}
		cr.TxModel = device.Some(tx)
	}
	return r
}

func benchSetBattery(cr *device.ChannelReading, c *benchChannel) {
	cr.BatteryBars = device.Some(c.bars)
	cr.BatteryPercent = device.Some(max(0, c.bars*20-7))
	cr.BatteryMinutes, cr.BatteryRuntime = device.Some(c.minutes), device.RuntimeValid
}

// benchDriver feeds the board the way the monitor does for a live fleet:
// each receiver's meter sample once a second (the receivers staggered
// across the second), and a battery change on a random channel every
// benchStateEvery. It catches up when it falls behind, as real receivers
// would not wait for a busy server.
type benchDriver struct {
	readings atomic.Int64 // channel readings applied
	changes  atomic.Int64 // battery changes applied
	started  time.Time
	stop     chan struct{}
	done     chan struct{}
}

func (f *benchFleet) startDriver(seed uint64) *benchDriver {
	d := &benchDriver{stop: make(chan struct{}), done: make(chan struct{}), started: time.Now()}
	go func() {
		defer close(d.done)
		rng := rand.New(rand.NewPCG(seed, 99))
		start := time.Now()
		perRx := benchMeterEvery / benchReceivers // 4 ms
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		sent := 0
		nextState := start.Add(benchStateEvery / 2)
		for {
			select {
			case <-d.stop:
				return
			case now := <-tick.C:
				due := int(now.Sub(start) / perRx)
				for ; sent < due; sent++ {
					rx := f.rxs[sent%benchReceivers]
					if rx.offline {
						continue
					}
					for _, c := range rx.ch {
						c.step(rng, rx.ad)
					}
					f.board.Apply(rx.id, rx.meterReading(now))
					d.readings.Add(benchChannels)
				}
				for !now.Before(nextState) {
					nextState = nextState.Add(benchStateEvery)
					f.batteryChange(rng, now)
					d.changes.Add(1)
				}
			}
		}
	}()
	return d
}

func (d *benchDriver) halt() {
	close(d.stop)
	<-d.done
}

// batteryChange drops one bar on a random ordinary channel (a fresh battery
// after the last bar).
func (f *benchFleet) batteryChange(rng *rand.Rand, at time.Time) {
	for {
		rx := f.rxs[rng.IntN(len(f.rxs))]
		c := rx.ch[rng.IntN(benchChannels)]
		if rx.offline || c.probe || c.txOff {
			continue
		}
		if c.bars--; c.bars < 1 {
			c.bars, c.minutes = 5, 480
		}
		c.minutes = max(10, c.minutes-45)
		r := device.Reading{At: at}
		benchSetBattery(r.Channel(c.number), c)
		f.board.Apply(rx.id, r)
		return
	}
}

// ---------------------------------------------------------------------------
// The server

func benchConfig(b *testing.B) config.Config {
	b.Helper()
	cfg, err := config.Parse(func(name string) (string, bool) {
		if name == "MICBOARD_SESSION_SECRET" {
			return strings.Repeat("b", 32), true
		}
		return "", false
	})
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

func (f *benchFleet) newServer(b *testing.B) *web.Server {
	b.Helper()
	s, err := web.New(web.Deps{Config: benchConfig(b), DB: f.db, Board: f.board, Store: f.store, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// serve runs a web server on a loopback port through web.Server.Serve (the
// production http.Server) and returns its base URL; stop shuts it down,
// which also ends every stream still open.
func (f *benchFleet) serve(b *testing.B) (s *web.Server, base string, stop func()) {
	b.Helper()
	s = f.newServer(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					b.Errorf("serve: %v", err)
				}
			case <-time.After(20 * time.Second):
				b.Errorf("server did not shut down within 20 s")
			}
		})
	}
	b.Cleanup(stop)
	return s, "http://" + ln.Addr().String(), stop
}

func benchHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableCompression:    true, // EventSource does not ask for gzip on a stream either
		MaxIdleConnsPerHost:   -1,
		ResponseHeaderTimeout: 30 * time.Second,
	}}
}

// benchOpenStream opens /board/events as the board page does (since = the
// version the page was drawn at) and reads up to the first ping, which the
// server sends once the stream's subscription is in place, after the tiles
// that changed since that version; it returns how many bytes that took.
func benchOpenStream(ctx context.Context, client *http.Client, base string, since uint64) (*http.Response, *bufio.Reader, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/board/events?since="+strconv.FormatUint(since, 10), nil)
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	res, err := client.Do(req)
	if err != nil {
		return nil, nil, 0, err
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body.Close()
		return nil, nil, 0, fmt.Errorf("stream answered %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res.Header.Get("Content-Encoding") != "" {
		res.Body.Close()
		return nil, nil, 0, fmt.Errorf("stream is %s-encoded", res.Header.Get("Content-Encoding"))
	}
	br := bufio.NewReaderSize(res.Body, 16<<10)
	var n int64
	for {
		line, err := br.ReadSlice('\n')
		n += int64(len(line))
		if err != nil && err != bufio.ErrBufferFull {
			res.Body.Close()
			return nil, nil, 0, fmt.Errorf("read the stream's opening: %w", err)
		}
		if bytes.HasPrefix(line, []byte("event: ping")) {
			return res, br, n, nil
		}
	}
}

// benchGet answers path through the real Echo handler.
func benchGet(b *testing.B, h http.Handler, path, encoding string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %.300s", path, rec.Code, rec.Body.String())
	}
	return rec
}

func benchEnvDuration(b *testing.B, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("%s=%q: want a duration such as 10s", name, v)
	}
	return d
}

// ---------------------------------------------------------------------------
// 1. Rendering the board

// BenchmarkRenderBoard1000 times GET / for the whole 1,000-channel board
// through the real Echo handler and middleware (request id, log, recover,
// secure headers, gzip), including the two small queries the page makes
// (locations, groups). "identity" is a client without gzip; "gzip" is a
// browser. One op is one page. Target: < 20 ms.
func BenchmarkRenderBoard1000(b *testing.B) {
	f := newBenchFleet(b)
	h := f.newServer(b).Handler()

	page := benchGet(b, h, "/", "").Body.String()
	if n := strings.Count(page, `<article id="tile-`); n != benchTiles {
		b.Fatalf("the page draws %d tiles, want %d", n, benchTiles)
	}
	if !strings.Contains(page, "RX offline") || !strings.Contains(page, "TX off") || !strings.Contains(page, "Critical") {
		b.Fatal("the page lacks the offline, TX-off or critical tiles the fleet has")
	}
	// warm: no tile changed since the last page, every tile comes from the
	// render cache. cold: every tile changed (a metered show between two
	// page loads), so every tile is drawn again.
	for _, mode := range []string{"cold", "warm", "warm-gzip"} {
		b.Run(mode, func(b *testing.B) {
			accept := ""
			if mode == "warm-gzip" {
				accept = "gzip, deflate, br"
			}
			size := 0
			level := -40.0
			b.ReportAllocs()
			for b.Loop() {
				if mode == "cold" {
					b.StopTimer()
					level = -40 - level/10 // a new audio level for every tile
					for _, rx := range f.rxs {
						r := device.Reading{At: time.Now()}
						for ch := 1; ch <= benchChannels; ch++ {
							r.Channel(ch).AudioLevelDBFS = device.Some(level)
						}
						f.board.Apply(rx.id, r)
					}
					b.StartTimer()
				}
				rec := benchGet(b, h, "/", accept)
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
			b.ReportMetric(float64(size), "page_bytes")
		})
	}
}

// ---------------------------------------------------------------------------
// 2. Bytes per minute to one browser

// BenchmarkBoardBytesPerMinute counts what one browser receives from
// /board/events over a wall-clock window (MICBOARD_BENCH_WINDOW, default
// 10 s) while every channel of the 1,000-channel board is metered once a
// second and 1 % of the channels per minute change battery, and compares it
// with redrawing the whole grid every second. One op is one window.
//
// Besides the measured bytes it reports estimates computed from the very
// stream received: what gzip on the stream would leave (compressed per
// flush) and what quantising the meter widths to 20 or 10 steps would leave
// (meter events that would draw the same as the last one sent dropped).
func BenchmarkBoardBytesPerMinute(b *testing.B) {
	window := benchEnvDuration(b, "MICBOARD_BENCH_WINDOW", 10*time.Second)
	f := newBenchFleet(b)
	s, base, stop := f.serve(b)
	client := benchHTTPClient()

	var sum benchStreamStats
	seed := uint64(1)
	for b.Loop() {
		st, err := f.measureStream(client, base, window, seed)
		if err != nil {
			b.Fatal(err)
		}
		sum.add(st)
		seed++
	}
	stop()
	if sum.window <= 0 || sum.bytes == 0 {
		b.Fatal("no bytes received")
	}
	grid := benchGet(b, s.Handler(), "/board/grid", "").Body.Len()
	gridGz := benchGet(b, s.Handler(), "/board/grid", "gzip").Body.Len()
	if grid < benchTiles*200 {
		b.Fatalf("the grid is %d bytes: it cannot hold %d tiles", grid, benchTiles)
	}

	perMin := func(n int64) float64 { return float64(n) / sum.window.Seconds() * 60 }
	secs := sum.window.Seconds()
	bytesPerMin := perMin(sum.bytes)
	gridPerMin := float64(grid) * 60
	b.ReportMetric(bytesPerMin, "bytes/min")
	b.ReportMetric(gridPerMin, "grid_resend_bytes/min")
	b.ReportMetric(bytesPerMin/gridPerMin, "ratio")
	b.ReportMetric(float64(sum.mEvents)/secs, "m_events/s")
	b.ReportMetric(float64(sum.tEvents)/secs, "t_events/s")
	if sum.mEvents > 0 {
		b.ReportMetric(float64(sum.mBytes)/float64(sum.mEvents), "bytes/m_event")
	}
	if sum.tEvents > 0 {
		b.ReportMetric(float64(sum.tBytes)/float64(sum.tEvents), "bytes/t_event")
	}
	b.ReportMetric(float64(sum.readings)/secs, "readings/s")
	b.ReportMetric(perMin(sum.gzipBytes), "est_gzip_bytes/min")
	b.ReportMetric(perMin(sum.q20Bytes), "est_q20_bytes/min")
	b.ReportMetric(perMin(sum.q10Bytes), "est_q10_bytes/min")
	b.ReportMetric(float64(sum.catchupFresh)/float64(sum.windows), "connect_catchup_bytes")
	b.ReportMetric(float64(sum.catchupStale)/float64(sum.windows), "reconnect_catchup_bytes")
	b.Logf("window %.1fs: %d bytes (%.0f bytes/min = %.2f MB/min, %.1f kB/s); grid %d bytes (%d gzip) → resend every second %.1f MB/min; ratio %.3f; "+
		"%d m events (%.0f B avg), %d t events (%.0f B avg), %d pings, %d resyncs; %d battery changes; readings %.0f/s",
		secs, sum.bytes, bytesPerMin, bytesPerMin/1e6, float64(sum.bytes)/secs/1e3, grid, gridGz, gridPerMin/1e6, bytesPerMin/gridPerMin,
		sum.mEvents, benchDiv(sum.mBytes, sum.mEvents), sum.tEvents, benchDiv(sum.tBytes, sum.tEvents), sum.pings, sum.resyncs, sum.changes, float64(sum.readings)/secs)
	b.Logf("estimates from the same stream: gzip per flush %.2f MB/min (%.1f%%); meters quantised to 20 steps %.2f MB/min, to 10 steps %.2f MB/min",
		perMin(sum.gzipBytes)/1e6, 100*float64(sum.gzipBytes)/float64(sum.bytes), perMin(sum.q20Bytes)/1e6, perMin(sum.q10Bytes)/1e6)
	b.Logf("catch-up before the first ping: %.0f bytes for a page connecting 0.5 s after it was drawn, %.0f bytes for a reconnect with an old page's version",
		float64(sum.catchupFresh)/float64(sum.windows), float64(sum.catchupStale)/float64(sum.windows))
}

func benchDiv(a, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(a) / float64(n)
}

type benchStreamStats struct {
	window             time.Duration
	bytes              int64
	mEvents, tEvents   int64
	mBytes, tBytes     int64
	pings, resyncs     int64
	readings, changes  int64
	gzipBytes          int64
	q20Bytes, q10Bytes int64
	windows            int64
	catchupFresh       int64
	catchupStale       int64
}

func (s *benchStreamStats) add(o benchStreamStats) {
	s.window += o.window
	s.bytes += o.bytes
	s.mEvents += o.mEvents
	s.tEvents += o.tEvents
	s.mBytes += o.mBytes
	s.tBytes += o.tBytes
	s.pings += o.pings
	s.resyncs += o.resyncs
	s.readings += o.readings
	s.changes += o.changes
	s.gzipBytes += o.gzipBytes
	s.q20Bytes += o.q20Bytes
	s.q10Bytes += o.q10Bytes
	s.windows += o.windows
	s.catchupFresh += o.catchupFresh
	s.catchupStale += o.catchupStale
}

type benchChunk struct {
	at   time.Time
	data []byte
}

// measureStream connects one browser, starts the fleet, lets the stream
// settle for two seconds, then records everything received for window.
func (f *benchFleet) measureStream(client *http.Client, base string, window time.Duration, seed uint64) (benchStreamStats, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, br, _, err := benchOpenStream(ctx, client, base, f.board.Version())
	if err != nil {
		return benchStreamStats{}, err
	}
	defer res.Body.Close()

	var (
		mu        sync.Mutex
		recording bool
		chunks    []benchChunk
		total     int64
	)
	readDone := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := br.Read(buf)
			if n > 0 {
				now := time.Now()
				mu.Lock()
				if recording {
					total += int64(n)
					chunks = append(chunks, benchChunk{now, append([]byte(nil), buf[:n]...)})
				}
				mu.Unlock()
			}
			if err != nil {
				readDone <- err
				return
			}
		}
	}()

	d := f.startDriver(seed)
	time.Sleep(2 * time.Second)
	r0, c0 := d.readings.Load(), d.changes.Load()
	mu.Lock()
	recording = true
	start := time.Now()
	mu.Unlock()
	time.Sleep(window)
	mu.Lock()
	recording = false
	elapsed := time.Since(start)
	got := total
	mu.Unlock()
	r1, c1 := d.readings.Load(), d.changes.Load()

	// What a stream sends before its first ping: the tiles changed since
	// the page's version. A page connects a moment after it was drawn;
	// EventSource reconnects with the URL (and version) of the first page.
	catchup := func(since uint64) (int64, error) {
		res, _, n, err := benchOpenStream(ctx, client, base, since)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return n, nil
	}
	v := f.board.Version()
	time.Sleep(500 * time.Millisecond)
	fresh, err := catchup(v)
	if err != nil {
		return benchStreamStats{}, err
	}
	stale, err := catchup(1)
	if err != nil {
		return benchStreamStats{}, err
	}
	d.halt()
	cancel()
	select {
	case <-readDone:
	case <-time.After(10 * time.Second):
		return benchStreamStats{}, fmt.Errorf("the stream did not end after the client left")
	}

	st := benchStreamStats{window: elapsed, bytes: got, readings: r1 - r0, changes: c1 - c0, windows: 1, catchupFresh: fresh, catchupStale: stale}
	benchAnalyse(&st, chunks)
	return st, nil
}

var (
	benchWidthRe = regexp.MustCompile(`width:(\d+)%`)
	benchEventRe = regexp.MustCompile(`(?m)^event: (\S+)$`)
)

// benchAnalyse counts the events of a recorded stream and computes the
// gzip and quantisation estimates.
func benchAnalyse(st *benchStreamStats, chunks []benchChunk) {
	var all []byte
	for _, c := range chunks {
		all = append(all, c.data...)
	}
	// gzip as the server could do it: one compressor for the stream,
	// flushed once per server flush (reads arriving within 20 ms of each
	// other belong to one flush).
	var cw benchCountWriter
	zw, _ := gzip.NewWriterLevel(&cw, 5) // the level of the server's gzip middleware
	for i, c := range chunks {
		zw.Write(c.data)
		if i == len(chunks)-1 || chunks[i+1].at.Sub(c.at) > 20*time.Millisecond {
			zw.Flush()
		}
	}
	zw.Close()
	st.gzipBytes = cw.n

	lastQ := [2]map[string]string{{}, {}}
	var droppedQ [2]int64
	for _, ev := range bytes.SplitAfter(all, []byte("\n\n")) {
		m := benchEventRe.FindSubmatch(ev)
		if m == nil {
			continue
		}
		name, n := string(m[1]), int64(len(ev))
		switch {
		case name == "ping":
			st.pings++
		case name == "resync":
			st.resyncs++
		case strings.HasPrefix(name, "t"):
			st.tEvents++
			st.tBytes += n
			for q := range lastQ {
				delete(lastQ[q], name[1:])
			}
		case strings.HasPrefix(name, "m"):
			st.mEvents++
			st.mBytes += n
			i := bytes.Index(ev, []byte("\ndata: "))
			if i < 0 {
				continue // cut by the start of the recording
			}
			body := ev[i:] // without the id line
			for q, steps := range []int{20, 10} {
				key := benchWidthRe.ReplaceAllStringFunc(string(body), func(w string) string {
					p, _ := strconv.Atoi(benchWidthRe.FindStringSubmatch(w)[1])
					return "width:" + strconv.Itoa(int(math.Round(float64(p)*float64(steps)/100))) + "%"
				})
				if lastQ[q][name[1:]] == key {
					droppedQ[q] += n
				}
				lastQ[q][name[1:]] = key
			}
		}
	}
	st.q20Bytes = st.bytes - droppedQ[0]
	st.q10Bytes = st.bytes - droppedQ[1]
}

type benchCountWriter struct{ n int64 }

func (w *benchCountWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// ---------------------------------------------------------------------------
// 3. Concurrent live clients

// BenchmarkSSEClients opens N concurrent /board/events streams on one
// server (N from MICBOARD_BENCH_SSE_CLIENTS), then, at a random moment,
// changes one tile's battery (bars and runtime) and measures, for every
// client, the time until that tile's t{id} event carrying the new runtime
// arrives. One op is one such change reaching all N clients (or timing out
// after 5 s; a client that misses counts as 5 s, i.e. late). At least
// MICBOARD_BENCH_SSE_ROUNDS changes are measured per N. Two modes:
//
//	idle      the board is quiet but for the probe change;
//	metering  every channel is metered at 1 Hz meanwhile (as in a show), so
//	          every stream also renders and sends meter events.
//
// "<mode>/largest_N_99pct_within_1s" reports the largest N of which at
// least 99 % of the samples arrived within 1 s. Clients and server share
// the machine's cores; "cpu_cores" is the whole process (server, clients
// and the metering driver) while probing. After each N every stream is
// closed and the benchmark checks that the server let go of all of them.
func BenchmarkSSEClients(b *testing.B) {
	counts := map[string][]int{
		"idle":     {100, 250, 500, 750, 1000},
		"metering": {100, 250, 500, 750, 1000},
	}
	if v := os.Getenv("MICBOARD_BENCH_SSE_CLIENTS"); v != "" {
		var list []int
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				b.Fatalf("MICBOARD_BENCH_SSE_CLIENTS=%q: want numbers such as 100,250", v)
			}
			list = append(list, n)
		}
		counts = map[string][]int{"idle": list, "metering": list}
	}
	modes := []string{"idle", "metering"}
	if v := os.Getenv("MICBOARD_BENCH_SSE_MODES"); v != "" {
		modes = strings.Split(v, ",")
	}
	minRounds := 5
	if v := os.Getenv("MICBOARD_BENCH_SSE_ROUNDS"); v != "" {
		var err error
		if minRounds, err = strconv.Atoi(v); err != nil || minRounds < 1 {
			b.Fatalf("MICBOARD_BENCH_SSE_ROUNDS=%q: want a positive number", v)
		}
	}
	// Each stream is two descriptors here (client and server side).
	limit := benchRaiseNoFile(b, uint64(2*slices.Max(slices.Concat(counts["idle"], counts["metering"]))+256))
	f := newBenchFleet(b)
	_, base, _ := f.serve(b)
	client := benchHTTPClient()

	for _, mode := range modes {
		best := 0
		if counts[mode] == nil {
			b.Fatalf("MICBOARD_BENCH_SSE_MODES: unknown mode %q (want idle, metering)", mode)
		}
		for _, n := range counts[mode] {
			if uint64(2*n+128) > limit {
				b.Logf("%s/clients=%d skipped: RLIMIT_NOFILE is %d", mode, n, limit)
				continue
			}
			var r benchClientsResult
			b.Run(fmt.Sprintf("%s/clients=%d", mode, n), func(b *testing.B) {
				r = f.runClients(b, client, base, n, mode == "metering", minRounds)
			})
			if r.samples > 0 && r.within >= 0.99 {
				best = max(best, n)
			}
		}
		b.Logf("%s: largest N with ≥ 99%% of clients updated within 1 s: %d (of %v)", mode, best, counts[mode])
		b.Run(mode+"/largest_N_99pct_within_1s", func(b *testing.B) {
			b.ReportMetric(float64(best), "clients")
		})
	}
}

type benchClientsResult struct {
	samples int
	within  float64
}

// benchRaiseNoFile lifts the soft descriptor limit towards need (Go already
// raises it to the hard limit at start on Linux) and returns it.
func benchRaiseNoFile(b *testing.B, need uint64) uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		b.Logf("getrlimit: %v", err)
		return need
	}
	if r.Cur < need && r.Cur < r.Max {
		r.Cur = min(need, r.Max)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			b.Logf("setrlimit: %v", err)
		}
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r)
	}
	return r.Cur
}

// benchProbe is the change every client waits for.
type benchProbe struct {
	mu     sync.Mutex
	target int64  // channel id
	marker []byte // the runtime text the new tile carries
	start  time.Time
	lat    []time.Duration // per client; -1 until it arrives
	got    int
	done   chan struct{}
}

// wants says whether a t event for id is the one awaited by client i, and
// what its data must contain.
func (p *benchProbe) wants(i int, id int64) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id != p.target || p.lat == nil || p.lat[i] >= 0 {
		return nil
	}
	return p.marker
}

func (p *benchProbe) hit(i int, marker []byte, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lat == nil || p.lat[i] >= 0 || !bytes.Equal(marker, p.marker) {
		return
	}
	p.lat[i] = at.Sub(p.start)
	if p.got++; p.got == len(p.lat) {
		close(p.done)
	}
}

// benchReadClient reads one stream until it ends, watching for the probe.
func benchReadClient(i int, br *bufio.Reader, p *benchProbe, total *atomic.Int64) {
	var marker []byte
	var n int64
	defer func() { total.Add(n) }()
	for {
		line, err := br.ReadSlice('\n')
		n += int64(len(line))
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return
		}
		switch {
		case len(line) == 1:
			marker = nil // end of the event
		case bytes.HasPrefix(line, []byte("event: t")):
			id, err := strconv.ParseInt(string(bytes.TrimSpace(line[len("event: t"):])), 10, 64)
			if err == nil {
				marker = p.wants(i, id)
			}
		case marker != nil && bytes.HasPrefix(line, []byte("data: ")) && bytes.Contains(line, marker):
			p.hit(i, marker, time.Now())
			marker = nil
		}
	}
}

func (f *benchFleet) runClients(b *testing.B, client *http.Client, base string, n int, metering bool, minRounds int) benchClientsResult {
	const roundTimeout = 5 * time.Second
	var d *benchDriver
	if metering {
		d = f.startDriver(uint64(n))
		time.Sleep(time.Second)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &benchProbe{}
	var wg sync.WaitGroup
	var received atomic.Int64
	var openErr atomic.Value
	connectStart := time.Now()
	sem := make(chan struct{}, 32)
	var opened sync.WaitGroup
	for i := range n {
		opened.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; opened.Done() }()
			res, br, _, err := benchOpenStream(ctx, client, base, f.board.Version())
			if err != nil {
				openErr.CompareAndSwap(nil, err)
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer res.Body.Close()
				benchReadClient(i, br, p, &received)
			}()
		}()
	}
	opened.Wait()
	connect := time.Since(connectStart)
	closeAll := func() {
		cancel()
		wg.Wait()
		if d != nil {
			d.halt()
		}
		// Every stream must end on the server too.
		deadline := time.Now().Add(15 * time.Second)
		for f.board.Subscribers() > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if s := f.board.Subscribers(); s > 0 {
			b.Errorf("%d streams still subscribed 15 s after their clients left", s)
		}
	}
	if err := openErr.Load(); err != nil {
		closeAll()
		b.Fatalf("open stream: %v", err)
	}
	if metering {
		time.Sleep(2 * time.Second) // let every stream reach its steady state
	}

	var lats []time.Duration
	missed := 0
	rounds := 0
	rng := rand.New(rand.NewPCG(uint64(n), 5))
	round := func() {
		// Changes come at random moments, not in step with the streams'
		// 250 ms flushes.
		time.Sleep(time.Duration(rng.Int64N(int64(300 * time.Millisecond))))
		c := f.probes[rounds%len(f.probes)]
		rx := f.rxs[0]
		if c.id != rx.ch[c.number-1].id {
			rx = f.rxs[1]
		}
		c.bars = 9 - c.bars       // 4 ↔ 5: still good, but a state change
		c.minutes = 1000 + rounds // a runtime no earlier event carried
		marker := fmt.Appendf(nil, ">%dh %02dm<", c.minutes/60, c.minutes%60)
		p.mu.Lock()
		p.target, p.marker, p.got, p.done = c.id, marker, 0, make(chan struct{})
		p.lat = slices.Repeat([]time.Duration{-1}, n)
		p.start = time.Now()
		done := p.done
		p.mu.Unlock()
		r := device.Reading{At: time.Now()}
		benchSetBattery(r.Channel(c.number), c)
		f.board.Apply(rx.id, r)
		select {
		case <-done:
		case <-time.After(roundTimeout):
		}
		p.mu.Lock()
		for _, l := range p.lat {
			if l < 0 {
				missed++
				l = roundTimeout
			}
			lats = append(lats, l)
		}
		p.lat = nil
		p.mu.Unlock()
		rounds++
	}

	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	probeStart := time.Now()
	recv0 := received.Load()
	for b.Loop() {
		round()
	}
	b.StopTimer()
	for rounds < minRounds {
		round()
	}
	probeWall := time.Since(probeStart)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
	var readings int64
	var readingRate float64
	if d != nil {
		readings = d.readings.Load()
		readingRate = float64(readings) / time.Since(d.started).Seconds()
	}
	closeAll()
	recv := received.Load() - recv0 // bytes counted by clients that ended (all of them, after closeAll)

	slices.Sort(lats)
	within := 0
	for _, l := range lats {
		if l <= time.Second {
			within++
		}
	}
	pct := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(lats)))) - 1
		return float64(lats[max(0, min(i, len(lats)-1))]) / 1e6
	}
	frac := float64(within) / float64(len(lats))
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(float64(lats[len(lats)-1])/1e6, "max_ms")
	b.ReportMetric(frac, "within_1s")
	b.ReportMetric(float64(missed), "missed")
	b.ReportMetric(cpu.Seconds()/probeWall.Seconds(), "cpu_cores")
	b.ReportMetric(connect.Seconds(), "connect_s")
	if metering {
		b.ReportMetric(readingRate, "readings/s")
	}
	b.Logf("%d clients%s: %d rounds, %d samples, p50 %.0f ms, p99 %.0f ms, max %.0f ms, %.2f%% within 1 s, %d missed (> %v); "+
		"opened in %.2fs; process CPU %.2f cores; clients read %.1f MB in total%s",
		n, map[bool]string{true: " (metering 1,000 ch at 1 Hz)", false: ""}[metering], rounds, len(lats),
		pct(0.5), pct(0.99), float64(lats[len(lats)-1])/1e6, 100*frac, missed, roundTimeout,
		connect.Seconds(), cpu.Seconds()/probeWall.Seconds(), float64(recv)/1e6,
		map[bool]string{true: fmt.Sprintf("; driver applied %d channel readings (%.0f/s)", readings, readingRate), false: ""}[metering])
	return benchClientsResult{samples: len(lats), within: frac}
}
