package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Vendor codes as stored with a receiver.
const (
	VendorShure      = "shure"
	VendorSennheiser = "sennheiser"
)

// Errors shared by all vendors, so callers can map them without knowing one.
var (
	ErrUnknownVendor = errors.New("device: unknown vendor")
	ErrNotConnected  = errors.New("device: not connected")
	// ErrLinkDead is returned by Driver.Run when the device went silent for
	// longer than the link timeout; the supervisor should reconnect.
	ErrLinkDead     = errors.New("device: link dead")
	ErrInvalidName  = errors.New("device: invalid channel name")
	ErrNameTooLong  = errors.New("device: channel name too long")
	ErrInvalidValue = errors.New("device: invalid value")
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultMeterRate       = time.Second
	DefaultDialTimeout     = 2 * time.Second
	DefaultRefreshInterval = 10 * time.Second
)

// Config says how to reach one receiver. Zero values mean "the default".
type Config struct {
	Host string
	// Port is the device's control port; 0 means the vendor's default (Shure
	// TCP 2202, Sennheiser UDP 45).
	Port int
	// Family is the device type the receiver was registered with ("uhfr",
	// "p10t", ...), when known. It is a hint: a driver that finds the
	// device doing something else follows the device.
	Family string
	// MeterRate is how often the device pushes meters (default 1 s: faster
	// rates have locked up some QLX-D firmware).
	MeterRate time.Duration
	// DisableMeters asks for no metering (used by Identify).
	DisableMeters bool
	// DialTimeout bounds connecting (default 2 s).
	DialTimeout time.Duration
	// RefreshInterval is how often names and battery are re-queried
	// (default 10 s).
	RefreshInterval time.Duration
	// LinkTimeout is how long the link may stay silent (Shure: default meter
	// rate + 5 s) or a ping may stay unanswered (Sennheiser: default 2 s)
	// before Run returns ErrLinkDead.
	LinkTimeout time.Duration
	// PingInterval is how often a datagram device is pinged (default 5 s).
	PingInterval time.Duration
	// Logger receives the driver's logs; nil means slog.Default().
	Logger *slog.Logger

	// Username and Password log in to devices that require it (Sennheiser
	// SSCv2: user "api" and the third-party password set on the device).
	// Password is a Secret so that printing or logging a Config never
	// shows it.
	Username string
	Password Secret
	// TLSFingerprint pins the device's certificate (hex SHA-256 of its DER
	// encoding, as recorded when the receiver was added): a device that
	// shows another certificate is refused. Empty accepts the certificate
	// the device shows and reports it to OnCertificate.
	TLSFingerprint string
	// OnCertificate, when set, is called with the fingerprint of every
	// certificate the device shows; `micboard receiver add` stores the
	// first one (trust on first use).
	OnCertificate func(fingerprint string)
}

// Secret is a string that never prints: fmt and slog show "[hidden]".
// Use string(s) where the value itself is needed.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[hidden]"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return s.String() }

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// ErrUnauthorized: the device refused the credentials (or needs some).
var ErrUnauthorized = errors.New("device: login refused")

// ErrCertificateChanged: the device showed a certificate other than the one
// pinned when it was added.
var ErrCertificateChanged = errors.New("device: TLS certificate changed")

// WithDefaults fills zero fields with the shared defaults (the vendor fills
// Port and LinkTimeout).
func (c Config) WithDefaults() Config {
	if c.MeterRate <= 0 {
		c.MeterRate = DefaultMeterRate
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Driver is one session with one receiver. The monitor's supervisor calls
// Dial, then Run until it returns, then Close, and starts over with backoff.
// SetChannelName may be called from another goroutine while Run is running.
type Driver interface {
	// Dial connects and starts the session: it asks the device for
	// everything and starts metering.
	Dial(ctx context.Context) error
	// Run reads until ctx ends (returns ctx.Err()) or the link fails (returns
	// an error wrapping ErrLinkDead or the I/O error). fn is called from Run's
	// goroutine for every update; the Reading is fn's to keep.
	Run(ctx context.Context, fn func(Reading)) error
	// SetChannelName writes a channel's name. It returns once the command is
	// sent; the device's confirmation arrives through Run like any update.
	SetChannelName(ctx context.Context, ch int, name string) error
	// Close ends the session. It is safe to call more than once.
	Close() error
}

// Factory builds a Driver for one receiver.
type Factory func(Config) (Driver, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]*Vendor{}
)

// Register makes a vendor available to New with nothing but its factory
// (tests use it; vendor packages call RegisterVendor with the full
// description). Registering a code twice is a programming error and panics.
func Register(vendor string, f Factory) {
	if f == nil {
		panic("device: Register with nil factory for " + vendor)
	}
	RegisterVendor(Vendor{Code: vendor, Name: vendor, New: f})
}

// Vendors lists the registered vendor codes, sorted.
func Vendors() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for v := range registry {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// New builds a Driver for the vendor code ("shure", "sennheiser").
func New(vendor string, cfg Config) (Driver, error) {
	registryMu.RLock()
	v, ok := registry[vendor]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownVendor, vendor, Vendors())
	}
	d, err := v.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("new %s driver for %s: %w", vendor, cfg.Host, err)
	}
	return d, nil
}

// IdentifyTimeout bounds Identify when ctx has no deadline.
const IdentifyTimeout = 5 * time.Second

// Identify connects once, asks for everything and returns what the receiver
// said about itself (name, model, firmware, channel count, channel names),
// without metering. It returns as soon as the picture is complete, or with
// what it has when ctx (or IdentifyTimeout) ends, as long as the device
// answered at all. Used by discovery and `micboard receiver add`.
func Identify(ctx context.Context, vendor, host string, port int) (Reading, error) {
	return IdentifyWith(ctx, vendor, Config{Host: host, Port: port, DisableMeters: true})
}

// IdentifyWith is Identify with a full Config.
func IdentifyWith(ctx context.Context, vendor string, cfg Config) (Reading, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, IdentifyTimeout)
		defer cancel()
	}
	d, err := New(vendor, cfg)
	if err != nil {
		return Reading{}, err
	}
	defer d.Close()
	if err := d.Dial(ctx); err != nil {
		return Reading{}, fmt.Errorf("identify %s %s: %w", vendor, cfg.Host, err)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		mu    sync.Mutex
		state Reading
		done  = make(chan struct{})
		once  sync.Once
	)
	runErr := make(chan error, 1)
	go func() {
		runErr <- d.Run(runCtx, func(u Reading) {
			mu.Lock()
			state.Merge(u)
			complete := Complete(&state)
			mu.Unlock()
			if complete {
				once.Do(func() { close(done) })
			}
		})
	}()

	var rerr error
	select {
	case <-done:
		stop()
		rerr = <-runErr
	case <-ctx.Done():
		rerr = <-runErr
	case rerr = <-runErr:
	}
	mu.Lock()
	defer mu.Unlock()
	if state.Empty() {
		if rerr == nil || errors.Is(rerr, context.Canceled) || errors.Is(rerr, context.DeadlineExceeded) {
			rerr = ErrLinkDead
		}
		return Reading{}, fmt.Errorf("identify %s %s: no answer: %w", vendor, cfg.Host, rerr)
	}
	return state.Clone(), nil
}

// Complete reports whether a receiver's state holds everything Identify
// waits for: name, model, channel count, and a name for every channel.
func Complete(r *Reading) bool {
	if !r.Name.Set || !r.Model.Set {
		return false
	}
	n, ok := r.ChannelCount.Get()
	if !ok {
		return false
	}
	for ch := 1; ch <= n; ch++ {
		c, ok := r.Channels[ch]
		if !ok || !c.Name.Set {
			return false
		}
	}
	return true
}
