package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"micboard/app/device/mdns"
)

// FleetConfig configures StartFleet.
type FleetConfig struct {
	Receivers  int      // how many receivers
	Models     []string // model codes, cycled through; default ulxd4q
	Host       string   // default 127.0.0.1
	BasePort   int      // receiver i listens on BasePort+i (TCP or UDP); 0 picks free ports
	Scenario   string   // static (default), steady or show
	Seed       uint64   // everything generated follows from it
	Clock      Clock    // default RealClock; tests pass a *ManualClock
	MaxClients int      // per Shure receiver, default 5
	// MeterJitter: see ReceiverConfig.
	MeterJitter float64
	// Password is the third-party password of SSCv2 receivers (empty:
	// DefaultSSCv2Password).
	Password string
	// MDNSAddr, when set, is where the fleet answers DNS-SD queries for its
	// SSC receivers (see ServeMDNS), e.g. "127.0.0.1:5353" or the mDNS
	// group "224.0.0.251:5353".
	MDNSAddr string
	Logger   *slog.Logger
}

// Fleet is a set of simulated receivers driven by one scenario engine.
type Fleet struct {
	recvs  []*Receiver
	engine *Engine
	mdns   *mdns.Responder
	once   sync.Once
}

// StartFleet starts every receiver and the scenario. On error nothing is left
// running.
func StartFleet(cfg FleetConfig) (*Fleet, error) {
	if cfg.Receivers < 0 {
		return nil, fmt.Errorf("receivers %d must not be negative", cfg.Receivers)
	}
	if len(cfg.Models) == 0 {
		cfg.Models = []string{"ulxd4q"}
	}
	for _, m := range cfg.Models {
		if _, err := lookupModel(m); err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
	}
	if cfg.BasePort < 0 || (cfg.BasePort > 0 && cfg.BasePort+cfg.Receivers-1 > 65535) {
		return nil, fmt.Errorf("fleet: base port %d cannot hold %d receivers", cfg.BasePort, cfg.Receivers)
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// Validate the scenario before binding any socket.
	if _, err := NewEngine(cfg.Scenario, cfg.Seed, cfg.Clock, nil); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	f := &Fleet{}
	nm := newNamer(cfg.Seed)
	for i := 0; i < cfg.Receivers; i++ {
		port := 0
		if cfg.BasePort > 0 {
			port = cfg.BasePort + i
		}
		r, err := newReceiver(ReceiverConfig{
			Model: cfg.Models[i%len(cfg.Models)], Host: cfg.Host, Port: port, Seed: cfg.Seed, Index: i,
			Clock: cfg.Clock, MaxClients: cfg.MaxClients, MeterJitter: cfg.MeterJitter, Password: cfg.Password, Logger: cfg.Logger,
		}, nm)
		if err == nil {
			err = r.start()
		}
		if err != nil {
			f.stopReceivers()
			return nil, fmt.Errorf("fleet receiver %d: %w", i, err)
		}
		f.recvs = append(f.recvs, r)
	}
	eng, err := NewEngine(cfg.Scenario, cfg.Seed, cfg.Clock, f.recvs)
	if err != nil {
		f.stopReceivers()
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if cfg.MDNSAddr != "" {
		resp, err := ServeMDNS(cfg.MDNSAddr, f.recvs, cfg.Logger)
		if err != nil {
			f.stopReceivers()
			return nil, fmt.Errorf("fleet: %w", err)
		}
		f.mdns = resp
	}
	f.engine = eng
	eng.Start()
	return f, nil
}

// MDNSAddr is where the fleet answers DNS-SD queries ("" when it does not),
// with the port it got when asked for port 0.
func (f *Fleet) MDNSAddr() string {
	if f.mdns == nil {
		return ""
	}
	return f.mdns.Addr()
}

// Receivers returns the receivers in start order.
func (f *Fleet) Receivers() []*Receiver { return append([]*Receiver(nil), f.recvs...) }

// Engine returns the fleet's scenario engine.
func (f *Fleet) Engine() *Engine { return f.engine }

// Endpoints lists where every receiver listens.
func (f *Fleet) Endpoints() []Endpoint {
	eps := make([]Endpoint, 0, len(f.recvs))
	for _, r := range f.recvs {
		eps = append(eps, r.Endpoint())
	}
	return eps
}

// WriteJSON writes Endpoints as an indented JSON array.
func (f *Fleet) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f.Endpoints()); err != nil {
		return fmt.Errorf("write fleet json: %w", err)
	}
	return nil
}

// WriteJSONFile writes Endpoints to path.
func (f *Fleet) WriteJSONFile(path string) (err error) {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create fleet json: %w", err)
	}
	defer func() {
		if cerr := fh.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close fleet json: %w", cerr)
		}
	}()
	return f.WriteJSON(fh)
}

// Stop halts the scenario and closes every socket; it waits until all
// goroutines of the fleet have finished. Safe to call more than once.
func (f *Fleet) Stop() error {
	var err error
	f.once.Do(func() {
		if f.engine != nil {
			f.engine.Stop()
		}
		var errs []error
		if f.mdns != nil {
			errs = append(errs, f.mdns.Close())
		}
		err = errors.Join(append(errs, f.stopReceivers())...)
	})
	return err
}

func (f *Fleet) stopReceivers() error {
	var errs []error
	for _, r := range f.recvs {
		if err := r.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
