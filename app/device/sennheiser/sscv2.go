package sennheiser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"micboard/app/device"
)

// DefaultV2LinkTimeout bounds each SSCv2 request and the keep-alive check
// of the event stream.
const DefaultV2LinkTimeout = 5 * time.Second

// V2Client is a device.Driver for an EW-DX receiver over SSCv2: it reads
// everything once over REST, then follows the server-sent event stream.
//
// Certificates: an EW-DX serves a self-signed certificate, so there is no
// authority to check it against. Micboard pins it instead (trust on first
// use): `micboard receiver add` records the SHA-256 of the certificate the
// receiver shows, and every later connection refuses another one with
// device.ErrCertificateChanged and an error log. Accepting any certificate
// and only logging its fingerprint would send the receiver's password to
// whoever answers at its address; pinning costs one column and a clear
// message when a receiver is really replaced or reset (add it again).
type V2Client struct {
	cfg  device.Config
	base string
	addr string
	log  *slog.Logger
	hc   *http.Client

	mu        sync.Mutex
	channels  int
	initial   device.Reading
	session   string
	body      io.ReadCloser
	sseCancel context.CancelFunc
	closed    bool
	certLog   sync.Once
}

// NewV2 returns an unconnected SSCv2 client; cfg.Port 0 means 443 and an
// empty cfg.Username means "api".
func NewV2(cfg device.Config) (*V2Client, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("sennheiser sscv2: %w: empty host", device.ErrInvalidValue)
	}
	cfg = cfg.WithDefaults()
	if cfg.Port == 0 {
		cfg.Port = SSCv2Port
	}
	if cfg.Username == "" {
		cfg.Username = DefaultV2User
	}
	if cfg.LinkTimeout <= 0 {
		cfg.LinkTimeout = DefaultV2LinkTimeout
	}
	if cfg.TLSFingerprint != "" {
		fp, err := NormalizeFingerprint(cfg.TLSFingerprint)
		if err != nil {
			return nil, fmt.Errorf("sennheiser sscv2: pinned fingerprint: %w", err)
		}
		cfg.TLSFingerprint = fp
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	c := &V2Client{
		cfg:  cfg,
		base: "https://" + addr,
		addr: addr,
		log:  cfg.Logger.With("vendor", device.VendorSennheiser, "protocol", "sscv2", "addr", addr),
	}
	if f := FamilyByDeviceType(cfg.Family); f == FamilyEWDX {
		c.initial.Family = device.Some(f.Info().DeviceType)
	}
	dialer := &net.Dialer{Timeout: cfg.DialTimeout}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     c.tlsConfig(),
		TLSHandshakeTimeout: cfg.DialTimeout + cfg.LinkTimeout,
		// SSCv2 servers speak HTTP/1.1 only (SSCv2 specification, "HTTP(S)").
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
	}}
	return c, nil
}

// Fingerprint is the pin Micboard stores: hex SHA-256 of a certificate's DER.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// NormalizeFingerprint accepts a SHA-256 fingerprint in hex, with or
// without colons, any case, and returns it as Fingerprint writes it.
func NormalizeFingerprint(s string) (string, error) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%w: want 64 hex digits of SHA-256", device.ErrInvalidValue)
	}
	return s, nil
}

// tlsConfig checks the receiver's certificate by its pinned fingerprint
// instead of a chain: the device's certificate is self-signed, so chain
// verification is switched off and VerifyConnection does the checking.
func (c *V2Client) tlsConfig() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin check below
		MinVersion:         tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: the receiver showed no certificate", device.ErrCertificateChanged)
			}
			got := Fingerprint(cs.PeerCertificates[0].Raw)
			if want := c.cfg.TLSFingerprint; want != "" && got != want {
				c.certLog.Do(func() {
					c.log.Error("receiver's TLS certificate changed; refusing to connect, since another device may be answering at its address. If the receiver was reset or replaced, add it again to trust its new certificate",
						"pinned_sha256", want, "shown_sha256", got)
				})
				return fmt.Errorf("%w: pinned sha256 %s, shown %s", device.ErrCertificateChanged, want, got)
			}
			if c.cfg.TLSFingerprint == "" {
				c.certLog.Do(func() { c.log.Info("receiver certificate", "sha256", got) })
			}
			if c.cfg.OnCertificate != nil {
				c.cfg.OnCertificate(got)
			}
			return nil
		},
	}
}

// Channels returns the channel count learned so far (0 = unknown).
func (c *V2Client) Channels() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.channels
}

// do sends one request within LinkTimeout (or ctx's deadline) and returns
// status and body. The password travels only in the Authorization header,
// never in a URL, so no error text can carry it.
func (c *V2Client) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout+c.cfg.LinkTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("sennheiser sscv2 %s: %s %s: %w", c.addr, method, path, err)
	}
	req.SetBasicAuth(c.cfg.Username, string(c.cfg.Password))
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("sennheiser sscv2 %s: %s %s: %w", c.addr, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxV2Event+1))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("sennheiser sscv2 %s: read %s: %w", c.addr, path, err)
	}
	if len(b) > MaxV2Event {
		return resp.StatusCode, nil, fmt.Errorf("sennheiser sscv2 %s: %s: %w", c.addr, path, ErrEventTooLarge)
	}
	if err := c.authErr(resp.StatusCode); err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, b, nil
}

// authErr turns 401/403 into a message a person can act on.
func (c *V2Client) authErr(status int) error {
	switch status {
	case http.StatusUnauthorized:
		if c.cfg.Password == "" {
			return fmt.Errorf("sennheiser sscv2 %s: %w: the receiver wants a password for user %q and Micboard has none stored (add it with --password-stdin)",
				c.addr, device.ErrUnauthorized, c.cfg.Username)
		}
		return fmt.Errorf("sennheiser sscv2 %s: %w: the receiver refused user %q and its password (HTTP 401); check the third-party password set in Sennheiser Control Cockpit",
			c.addr, device.ErrUnauthorized, c.cfg.Username)
	case http.StatusForbidden:
		return fmt.Errorf("sennheiser sscv2 %s: %w: user %q may not read this receiver (HTTP 403); third-party access must be enabled for user api",
			c.addr, device.ErrUnauthorized, c.cfg.Username)
	}
	return nil
}

// read GETs one resource and applies it to r. 404 (no such channel) and
// 422 (no transmitter linked) are answers, not failures.
func (c *V2Client) read(ctx context.Context, r *device.Reading, path string) (int, error) {
	status, body, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return status, err
	}
	switch {
	case status == http.StatusUnprocessableEntity && strings.HasPrefix(path, "/api/transmitters/"):
		ApplyV2(r, []Leaf{{Path: path, Value: nil}})
		return status, nil
	case status < 200 || status > 299:
		return status, nil
	}
	v, err := decodeBody(body)
	if err != nil {
		c.log.Debug("ignoring malformed answer", "path", path, "err", err)
		return status, nil
	}
	ApplyV2(r, []Leaf{{Path: path, Value: v}})
	return status, nil
}

// channelResources lists the resources of channel n (1-based) Micboard
// reads; meters only when metering.
func channelResources(n int, meters bool) []string {
	i := strconv.Itoa(n - 1)
	out := []string{
		"/api/channel/" + i, "/api/channel/" + i + "/warnings", "/api/rf/channels/" + i,
		"/api/transmitters/" + i, "/api/transmitters/" + i + "/battery", "/api/transmitters/" + i + "/warnings",
	}
	if meters {
		out = append(out,
			"/api/channel/"+i+"/signalStrengthIndicator", "/api/channel/"+i+"/signalQualityIndicator",
			"/api/channel/"+i+"/diversityIndicator", "/api/channel/"+i+"/level")
	}
	return out
}

// readAll reads the whole picture over REST.
func (c *V2Client) readAll(ctx context.Context) (device.Reading, int, error) {
	r := device.Reading{At: time.Now()}
	c.mu.Lock()
	r.Merge(c.initial)
	c.mu.Unlock()
	// Identity answers without a login (API document: "security": []);
	// the site does not, so it tells a wrong password apart at once.
	for _, p := range []string{"/api/device/identity", "/api/device/site"} {
		if _, err := c.read(ctx, &r, p); err != nil {
			return r, 0, err
		}
	}
	if _, err := c.read(ctx, &r, "/api/firmware/update/state"); err != nil {
		c.log.Debug("firmware state unreadable", "err", err)
	}
	n, _ := r.ChannelCount.Get()
	if n == 0 {
		// The product is not one the table lists: channel 3 (index 2)
		// exists only on an EM 4.
		status, _, err := c.do(ctx, http.MethodGet, "/api/channel/2", nil)
		if err != nil {
			return r, 0, err
		}
		n = 2
		if status >= 200 && status <= 299 {
			n = 4
		}
		r.ChannelCount = device.Some(n)
	}
	for ch := 1; ch <= n; ch++ {
		for _, p := range channelResources(ch, false) {
			if _, err := c.read(ctx, &r, p); err != nil {
				return r, n, err
			}
		}
	}
	return r, n, nil
}

// Dial reads the receiver's identity, site, firmware and every channel
// over REST (so a wrong password fails here, with a clear error), then,
// unless metering is off, opens the event stream and subscribes.
func (c *V2Client) Dial(ctx context.Context) error {
	r, n, err := c.readAll(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.initial, c.channels = r, n
	c.mu.Unlock()
	if c.cfg.DisableMeters {
		return nil
	}
	if err := c.subscribe(ctx, n); err != nil {
		return err
	}
	c.log.Debug("event stream open", "channels", n)
	return nil
}

// subscribe opens GET /api/ssc/state/subscriptions, reads the open event
// for the session UUID and PUTs the resource list to it.
func (c *V2Client) subscribe(ctx context.Context, n int) error {
	// The stream outlives Dial's ctx: it is ended by Close.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, c.base+"/api/ssc/state/subscriptions", nil)
	if err != nil {
		cancel()
		return fmt.Errorf("sennheiser sscv2 %s: open events: %w", c.addr, err)
	}
	req.SetBasicAuth(c.cfg.Username, string(c.cfg.Password))
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	// Bound the wait for headers and the open event by ctx and the timeouts.
	deadline := time.AfterFunc(c.cfg.DialTimeout+c.cfg.LinkTimeout, cancel)
	stopWait := context.AfterFunc(ctx, cancel)
	resp, err := c.hc.Do(req)
	if err != nil {
		deadline.Stop()
		stopWait()
		cancel()
		return fmt.Errorf("sennheiser sscv2 %s: open events: %w: %w", c.addr, device.ErrLinkDead, err)
	}
	fail := func(err error) error {
		deadline.Stop()
		stopWait()
		resp.Body.Close()
		cancel()
		return err
	}
	if err := c.authErr(resp.StatusCode); err != nil {
		return fail(err)
	}
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("sennheiser sscv2 %s: open events: HTTP %d: %w", c.addr, resp.StatusCode, device.ErrLinkDead))
	}
	sse := NewSSEReader(resp.Body)
	ev, err := sse.Next()
	if err != nil {
		return fail(fmt.Errorf("sennheiser sscv2 %s: no open event: %w: %w", c.addr, device.ErrLinkDead, err))
	}
	id, err := ParseOpenEvent(ev.Data)
	if err != nil {
		return fail(fmt.Errorf("sennheiser sscv2 %s: %w", c.addr, err))
	}
	var paths []string
	for ch := 1; ch <= n; ch++ {
		paths = append(paths, channelResources(ch, true)...)
	}
	paths = append(paths, "/api/device/site", "/api/device/identity")
	status, _, err := c.do(ctx, http.MethodPut, "/api/ssc/state/subscriptions/"+id, paths)
	if err != nil {
		return fail(err)
	}
	if status < 200 || status > 299 {
		return fail(fmt.Errorf("sennheiser sscv2 %s: subscribe: HTTP %d: %w", c.addr, status, device.ErrLinkDead))
	}
	deadline.Stop()
	stopWait()
	c.mu.Lock()
	c.session, c.body, c.sseCancel = id, &sseBody{ReadCloser: resp.Body, r: sse}, cancel
	c.mu.Unlock()
	return nil
}

// sseBody keeps the reader that already consumed the open event.
type sseBody struct {
	io.ReadCloser
	r *SSEReader
}

// Run hands over what Dial read, then every event until ctx ends or the
// stream fails. A keep-alive GET of the subscription every PingInterval
// notices a receiver that vanished without closing the connection.
func (c *V2Client) Run(ctx context.Context, fn func(device.Reading)) error {
	c.mu.Lock()
	first := c.initial.Clone()
	body, _ := c.body.(*sseBody)
	id := c.session
	closed := c.closed
	c.mu.Unlock()
	if closed || (body == nil && !c.cfg.DisableMeters) {
		return device.ErrNotConnected
	}
	first.At = time.Now()
	fn(first)
	if body == nil {
		return c.poll(ctx, fn)
	}

	var (
		kaMu  sync.Mutex
		kaErr error
	)
	kctx, stopKA := context.WithCancel(ctx)
	defer stopKA()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(c.cfg.PingInterval)
		defer tk.Stop()
		for {
			select {
			case <-kctx.Done():
				return
			case <-tk.C:
			}
			status, _, err := c.do(kctx, http.MethodGet, "/api/ssc/state/subscriptions/"+id, nil)
			if kctx.Err() != nil {
				return
			}
			if err == nil && (status < 200 || status > 299) {
				err = fmt.Errorf("subscription %s: HTTP %d", id, status)
			}
			if err != nil {
				kaMu.Lock()
				kaErr = err
				kaMu.Unlock()
				body.Close() // ends the read below
				return
			}
		}
	}()
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { body.Close() })
	defer stop()

	for {
		ev, err := body.r.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			kaMu.Lock()
			ke := kaErr
			kaMu.Unlock()
			if ke != nil {
				c.log.Warn("receiver stopped answering, device offline", "err", ke)
				return fmt.Errorf("sennheiser sscv2 %s: keep-alive: %w: %w", c.addr, device.ErrLinkDead, ke)
			}
			return fmt.Errorf("sennheiser sscv2 %s: event stream: %w: %w", c.addr, device.ErrLinkDead, err)
		}
		if ev.Name == "open" || ev.Name == "close" {
			continue
		}
		leaves, err := DecodeV2(ev.Data)
		if err != nil {
			c.log.Debug("ignoring malformed event", "err", err, "len", len(ev.Data))
			continue
		}
		r := device.Reading{At: time.Now()}
		if ApplyV2(&r, leaves) && !r.Empty() {
			fn(r)
		}
	}
}

// poll re-reads everything every RefreshInterval (used without metering,
// where no stream is open).
func (c *V2Client) poll(ctx context.Context, fn func(device.Reading)) error {
	tk := time.NewTicker(c.cfg.RefreshInterval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tk.C:
		}
		r, _, err := c.readAll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: %w", device.ErrLinkDead, err)
		}
		fn(r)
	}
}

// v2Name is the character set the API document allows in a channel name
// (PUT /api/channel/{channelId}: ^[\x20#*+,;\x2D\x2F<=|>0-9A-Z]*$, at most 8).
var v2Name = regexp.MustCompile(`^[ #*+,;\-/<=|>0-9A-Z]*$`)

// SetChannelName writes a channel's name. The receiver stores upper case
// only, so the name is upper-cased first, as the Companion module does.
func (c *V2Client) SetChannelName(ctx context.Context, ch int, name string) error {
	n := c.Channels()
	if ch < 1 || (n > 0 && ch > n) {
		return fmt.Errorf("%w: channel %d of %d", device.ErrInvalidValue, ch, n)
	}
	name = strings.ToUpper(name)
	if len(name) > FamilyEWDX.Info().MaxNameLen {
		return fmt.Errorf("%w: %q is longer than %d characters", device.ErrNameTooLong, name, FamilyEWDX.Info().MaxNameLen)
	}
	if !v2Name.MatchString(name) {
		return fmt.Errorf("%w: %q: EW-DX names take A-Z, 0-9, space and # * + , ; - / < = | >", device.ErrInvalidName, name)
	}
	status, _, err := c.do(ctx, http.MethodPut, "/api/channel/"+strconv.Itoa(ch-1), map[string]string{"name": name})
	if err != nil {
		return fmt.Errorf("set channel %d name: %w", ch, err)
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("sennheiser sscv2 %s: set channel %d name: HTTP %d: %w", c.addr, ch, status, device.ErrInvalidName)
	}
	return nil
}

// Close ends the subscription (best effort: the receiver limits sessions
// per client, so leaving them behind would lock Micboard out after a few
// reconnects) and closes the stream.
func (c *V2Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	id, body, cancel := c.session, c.body, c.sseCancel
	c.session, c.body, c.sseCancel = "", nil, nil
	c.mu.Unlock()
	if id != "" {
		ctx, stop := context.WithTimeout(context.Background(), time.Second)
		if _, _, err := c.do(ctx, http.MethodDelete, "/api/ssc/state/subscriptions/"+id, nil); err != nil {
			c.log.Debug("ending the subscription failed; the receiver drops it on its own", "err", err)
		}
		stop()
	}
	if body != nil {
		body.Close()
	}
	if cancel != nil {
		cancel()
	}
	c.hc.CloseIdleConnections()
	return nil
}
