package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// MaxScanAddresses bounds a CIDR scan: a /22 (1,024 addresses) at most, so a
// typo cannot make Micboard probe a whole network.
const MaxScanAddresses = 1024

// Discovery holds the rules for finding devices and approving them.
type Discovery struct {
	st    *store.Store
	now   func() time.Time
	owner string        // names this instance on the leases it takes
	lease time.Duration // how long a run's claim lasts without renewal
}

// DefaultRunLease is how long a discovery run holds its task without
// renewing (it renews every 5 s): long enough to ride out a slow database,
// short enough that a run killed with its process is taken over within
// seconds of a restart. Losing it to a stall costs at most one repeated scan.
const DefaultRunLease = 15 * time.Second

// NewDiscovery returns the discovery service. Each one is its own lease
// owner, so two instances (or a command-line run beside a server) never
// run the same task at once.
func NewDiscovery(st *store.Store) *Discovery {
	return &Discovery{st: st, now: time.Now, owner: newOwnerID(), lease: DefaultRunLease}
}

// WithLease sets how long a run's claim lasts without renewal; runs renew
// it at a third of that (RenewEvery).
func (s *Discovery) WithLease(d time.Duration) *Discovery {
	if d > 0 {
		s.lease = d
	}
	return s
}

// RenewEvery is how often a running task must call RenewRun.
func (s *Discovery) RenewEvery() time.Duration { return s.lease / 3 }

// Owner names this service's runs on their tasks' leases.
func (s *Discovery) Owner() string { return s.owner }

// TaskInput is a new or edited discovery task.
type TaskInput struct {
	Name            string
	Kind            model.DiscoveryKind
	Target          string // host[:port] for manual, a CIDR prefix for cidr
	Vendor          string // optional for slp/mdns
	IntervalSeconds int    // 3600 when zero
	Enabled         *bool  // true when nil
}

func (in *TaskInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Target = strings.TrimSpace(in.Target)
	if in.IntervalSeconds == 0 {
		in.IntervalSeconds = 3600
	}
	v := validator{}
	v.check(in.Name != "", "name", "give the task a name")
	if err := model.CheckLabel(in.Name, 100); in.Name != "" && err != nil {
		v.check(false, "name", err.Error())
	}
	v.check(in.Kind.Valid(), "kind", "must be manual, cidr, slp or mdns")
	v.check(in.Vendor == "" || knownVendor(in.Vendor), "vendor", "must be "+vendorCodes())
	v.check(in.IntervalSeconds >= 60, "interval", "at least 60 seconds")
	switch in.Kind {
	case model.DiscoveryManual:
		_, _, err := ParseHostPort(in.Target, 0)
		v.check(err == nil, "target", "want host or host:port")
		v.check(in.Vendor != "", "vendor", "say which vendor the device is")
	case model.DiscoveryCIDR:
		v.check(validScanPrefix(in.Target) == nil, "target", errText(validScanPrefix(in.Target)))
	}
	return v.err()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// validScanPrefix accepts a CIDR prefix of at most MaxScanAddresses.
func validScanPrefix(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return errors.New("want a network such as 192.168.1.0/24")
	}
	if p.Addr().BitLen()-p.Bits() > 10 {
		return fmt.Errorf("%s is larger than /22 (%d addresses); scan smaller ranges", s, MaxScanAddresses)
	}
	return nil
}

// ParseHostPort splits "host" or "host:port", using def when no port is
// given; def 0 means a port is optional and returned as 0.
func ParseHostPort(s string, def int) (string, int, error) {
	s = strings.TrimSpace(s)
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		// No port: the whole string is the host (an IPv6 address included).
		host, portText = strings.Trim(s, "[]"), ""
	}
	if !validHost(host) {
		return "", 0, fmt.Errorf("%q is not a host name or IP address", host)
	}
	if portText == "" {
		return host, def, nil
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("port %q must be a number from 1 to 65535", portText)
	}
	return host, port, nil
}

// CreateTask adds a discovery task.
func (s *Discovery) CreateTask(ctx context.Context, in TaskInput) (*model.DiscoveryTask, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	t := &model.DiscoveryTask{Name: in.Name, Kind: in.Kind, Target: in.Target,
		IntervalSeconds: in.IntervalSeconds, Enabled: in.Enabled == nil || *in.Enabled, Status: model.TaskPending}
	if err := s.setVendor(ctx, t, in.Vendor); err != nil {
		return nil, err
	}
	if err := s.st.DiscoveryTasks.Create(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTask edits a discovery task.
func (s *Discovery) UpdateTask(ctx context.Context, id int64, in TaskInput) (*model.DiscoveryTask, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	t, err := s.st.DiscoveryTasks.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	t.Name, t.Kind, t.Target, t.IntervalSeconds = in.Name, in.Kind, in.Target, in.IntervalSeconds
	if in.Enabled != nil {
		t.Enabled = *in.Enabled
	}
	if err := s.setVendor(ctx, t, in.Vendor); err != nil {
		return nil, err
	}
	if err := s.st.DiscoveryTasks.Update(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Discovery) setVendor(ctx context.Context, t *model.DiscoveryTask, code string) error {
	t.ManufacturerID = nil
	if code == "" {
		return nil
	}
	mf, err := manufacturer(ctx, s.st, code)
	if err != nil {
		return err
	}
	t.ManufacturerID = &mf.ID
	return nil
}

// StartRun claims a task and marks it running under this service's lease.
// A task running elsewhere under a live lease is refused with
// store.ErrLeaseHeld; one whose lease expired (its run died) is taken over.
func (s *Discovery) StartRun(ctx context.Context, id int64) (*model.DiscoveryTask, error) {
	t, err := s.st.DiscoveryTasks.Claim(ctx, id, s.owner, s.lease, s.now())
	if err != nil {
		return nil, err
	}
	return t, nil
}

// RenewRun keeps this service's claim on a running task alive; it returns
// store.ErrLeaseLost when the task was taken over meanwhile.
func (s *Discovery) RenewRun(ctx context.Context, id int64) error {
	return s.st.DiscoveryTasks.Renew(ctx, id, s.owner, s.lease)
}

// FinishRun records a run's outcome and releases the claim. When the claim
// was lost (another instance took the task over) nothing is written and
// store.ErrLeaseLost is returned: the newer run's outcome is the one to keep.
func (s *Discovery) FinishRun(ctx context.Context, id int64, scanned, found int, runErr error) error {
	status, lastErr := model.TaskSuccess, ""
	if runErr != nil {
		status, lastErr = model.TaskFailed, runErr.Error()
	}
	return s.st.DiscoveryTasks.Finish(ctx, id, s.owner, status, scanned, found, lastErr)
}

// Found is a device a discovery run saw.
type Found struct {
	TaskID   *int64
	Vendor   string
	Host     string
	Port     int
	Model    string
	Name     string
	Channels int
	Serial   string
	MAC      string
}

// RecordFound files a found device for approval. One that is already a
// receiver — by serial, then MAC, then host:port — is filed as a duplicate
// pointing at it, so approving twice is impossible.
func (s *Discovery) RecordFound(ctx context.Context, f Found) (*model.DiscoveredDevice, error) {
	v := validator{}
	v.check(validHost(f.Host), "host", "must be an IP address or host name")
	v.check(f.Port >= 1 && f.Port <= 65535, "port", "must be between 1 and 65535")
	v.check(f.Channels >= 0 && f.Channels <= 8, "channels", "must be 0 to 8")
	if err := v.err(); err != nil {
		return nil, err
	}
	d := &model.DiscoveredDevice{TaskID: f.TaskID, Host: f.Host, Port: f.Port, Model: f.Model, Name: f.Name,
		Channels: f.Channels, Serial: f.Serial, MAC: f.MAC, State: model.DiscoveredNew}
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		mf, err := manufacturer(ctx, tx, f.Vendor)
		if err != nil {
			return err
		}
		d.ManufacturerID = mf.ID
		rx, err := findExisting(ctx, tx, mf.ID, f.Serial, f.MAC, f.Host, f.Port)
		if err != nil {
			return err
		}
		if rx != nil {
			d.State, d.ReceiverID = model.DiscoveredDuplicate, &rx.ID
		}
		return tx.DiscoveredDevices.Upsert(ctx, d)
	})
	if err != nil {
		return nil, fmt.Errorf("record found device %s:%d: %w", f.Host, f.Port, err)
	}
	return d, nil
}

// Approve turns a found device into a receiver. report, when given, is the
// device's own fresh answer (model, names, channels); without it the facts
// recorded at discovery are used. Approving a duplicate or rejected device is
// refused with store.ErrConflict.
func (s *Discovery) Approve(ctx context.Context, id int64, report *DeviceReport) (*model.Receiver, error) {
	d, err := s.st.DiscoveredDevices.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.State != model.DiscoveredNew {
		return nil, fmt.Errorf("approve discovered device %d: it is %s: %w", id, d.State, store.ErrConflict)
	}
	mf, err := s.st.Manufacturers.Get(ctx, d.ManufacturerID)
	if err != nil {
		return nil, err
	}
	rep := DeviceReport{Vendor: mf.Code, Host: d.Host, Port: d.Port, Model: d.Model, Name: d.Name, Serial: d.Serial, MAC: d.MAC}
	for n := 1; n <= d.Channels; n++ {
		rep.Channels = append(rep.Channels, ChannelReport{Number: n})
	}
	if report != nil {
		rep = *report
	}
	if err := rep.validate(); err != nil {
		return nil, err
	}
	var rx *model.Receiver
	err = s.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if rx, _, err = upsertReport(ctx, tx, rep); err != nil {
			return err
		}
		return tx.DiscoveredDevices.SetState(ctx, id, model.DiscoveredApproved, &rx.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("approve discovered device %d: %w", id, err)
	}
	return s.st.Receivers.Get(ctx, rx.ID)
}

// Reject dismisses a found device; it stays rejected when seen again.
func (s *Discovery) Reject(ctx context.Context, id int64) error {
	d, err := s.st.DiscoveredDevices.Get(ctx, id)
	if err != nil {
		return err
	}
	return s.st.DiscoveredDevices.SetState(ctx, id, model.DiscoveredRejected, d.ReceiverID)
}
