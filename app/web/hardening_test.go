package web_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"micboard/app/config"
	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/device"
	"micboard/app/service"
	"micboard/app/web"
)

// serve runs s on a loopback port until the test ends and returns its base
// URL.
func serve(t *testing.T, s *web.Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := web.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

func configWith(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Parse(func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		if k == "MICBOARD_SESSION_SECRET" {
			return strings.Repeat("s", 32), true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var shortTimeouts = web.Timeouts{ReadHeader: 300 * time.Millisecond, Read: 300 * time.Millisecond, Write: 300 * time.Millisecond, Idle: time.Second}

// A request announcing a body it never sends is cut off at the read
// timeout instead of holding its connection forever.
func TestSlowBodyIsCutOff(t *testing.T) {
	s, err := web.New(web.Deps{Config: testConfig(t), Timeouts: shortTimeouts})
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, s)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /kiosk/x/heartbeat HTTP/1.1\r\nHost: micboard\r\nContent-Length: 1000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	conn.SetReadDeadline(start.Add(5 * time.Second))
	_, err = io.Copy(io.Discard, conn) // returns once the server closes
	if err != nil {
		t.Fatalf("connection still open after %s: %v", time.Since(start).Round(time.Millisecond), err)
	}
}

// A live stream outlasts the server's read and write timeouts many times.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	r := newBoardRig(t, "HH01")
	s, err := web.New(web.Deps{Config: testConfig(t), Board: r.board, Store: r.st, Timeouts: shortTimeouts})
	if err != nil {
		t.Fatal(err)
	}
	c := openStream(t, serve(t, s), "/board/events")
	time.Sleep(1500 * time.Millisecond) // five read timeouts
	for i := range 3 {
		r.apply(1, func(ch *device.ChannelReading) { ch.AudioLevelDBFS = device.Some(-40 + float64(i)*10) })
		c.next(t, func(name string) bool { return name != "ping" })
	}
}

func TestStreamCap(t *testing.T) {
	r := newBoardRig(t, "HH01")
	s, err := web.New(web.Deps{Config: configWith(t, map[string]string{"MICBOARD_MAX_STREAMS": "1", "MICBOARD_PUBLIC_BOARD": "true"}), Board: r.board, Store: r.st})
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, s)
	first := openStream(t, base, "/board/events")
	res, err := http.Get(base + "/board/events")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("stream past the cap: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	first.cancel()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(base + "/board/events?since=0")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the freed place was not given back: %d", res.StatusCode)
		}
	}
}

func TestConnectionCapPerClient(t *testing.T) {
	s, err := web.New(web.Deps{Config: configWith(t, map[string]string{"MICBOARD_MAX_CONNS_PER_CLIENT": "2"})})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(serve(t, s), "http://")
	// Two idle connections take this client's places.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	probe := func() string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: micboard\r\nConnection: close\r\n\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		return strings.TrimSpace(line)
	}
	if got := probe(); !strings.Contains(got, "429") {
		t.Fatalf("third connection answered %q", got)
	}
	held[0].Close()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := probe()
		if strings.Contains(got, "200") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed connection did not give its place back: %q", got)
		}
	}
}

func TestKioskGuessesAreRateLimited(t *testing.T) {
	r := newBoardRig(t, "HH01")
	_, token, err := service.NewKiosks(r.st).Create(context.Background(), service.KioskInput{Name: "Wings"})
	if err != nil {
		t.Fatal(err)
	}
	do := func(addr, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = addr + ":50000"
		rec := httptest.NewRecorder()
		r.srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	wrong := 0
	for ; wrong < 100; wrong++ {
		rec := do("198.51.100.7", "/kiosk/"+strings.Repeat("A", 42)+strconv.Itoa(wrong))
		if rec.Code == http.StatusTooManyRequests {
			if rec.Header().Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			break
		}
		if rec.Code != http.StatusNotFound {
			t.Fatalf("guess %d: %d", wrong, rec.Code)
		}
	}
	if wrong == 0 || wrong >= 20 {
		t.Fatalf("limited after %d wrong guesses", wrong)
	}
	if rec := do("198.51.100.7", "/kiosk/"+token); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("the guesser's next try was looked up: %d", rec.Code)
	}
	if rec := do("198.51.100.8", "/kiosk/"+token); rec.Code != http.StatusOK {
		t.Fatalf("a display elsewhere: %d", rec.Code)
	}
}

func TestKioskTokenStaysOutOfTheLog(t *testing.T) {
	r := newBoardRig(t, "HH01")
	_, token, err := service.NewKiosks(r.st).Create(context.Background(), service.KioskInput{Name: "Wings"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := web.New(web.Deps{Config: testConfig(t), Board: r.board, Store: r.st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/kiosk/" + token, "/kiosk/" + token + "/grid", "/kiosk/" + token + "/grid?loc=x"} {
		get(t, s, path, nil)
	}
	if !strings.Contains(buf.String(), "/kiosk/REDACTED/grid") {
		t.Fatalf("no redacted request line:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), token) {
		t.Fatalf("the log carries the kiosk token:\n%s", buf.String())
	}
}

func TestBadQueryEchoIsCapped(t *testing.T) {
	s := newServer(t, "")
	res, body := get(t, s, "/?loc="+strings.Repeat("9x", 50_000), nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", res.StatusCode)
	}
	if len(body) > 4096 || !strings.Contains(body, "…") {
		t.Fatalf("a %d-byte answer to a 100 KB value: %.300s", len(body), body)
	}
}

// Anyone may probe /readyz; the driver's error (database user, name and
// address) goes to the log only.
func TestReadyzKeepsDatabaseDetailInTheLog(t *testing.T) {
	dbURL := dbtest.NewURL(t)
	bdb, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	s, err := web.New(web.Deps{Config: testConfig(t), DB: bdb, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Outage(t, dbURL)
	name := strings.TrimPrefix(must(url.Parse(dbURL)).Path, "/")

	res, body := get(t, s, "/readyz", nil)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if reason := decode(t, body)["reason"]; reason != "database unreachable" {
		t.Fatalf("reason = %q", reason)
	}
	for _, secret := range []string{name, "user=", "127.0.0.1", "5432"} {
		if strings.Contains(body, secret) {
			t.Errorf("the answer tells %q: %s", secret, body)
		}
	}
	if !strings.Contains(buf.String(), name) {
		t.Errorf("the log lacks the detail:\n%s", buf.String())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
