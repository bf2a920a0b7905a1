package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"micboard/app/device"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// Discovery defaults (DiscoveryOptions zero values).
const (
	DefaultDiscoveryWorkers = 32
	DefaultProbeTimeout     = 500 * time.Millisecond
	DefaultSLPListen        = 5 * time.Second
	DefaultMDNSListen       = 3 * time.Second
	DefaultDiscoveryEvery   = 30 * time.Second
)

// finishTimeout bounds recording a run's outcome after its context ended, so
// a cancelled run still leaves its task "failed" rather than "running" until
// its lease runs out.
const finishTimeout = 10 * time.Second

// ErrTaskBusy: the task is already running in this Discoverer.
var ErrTaskBusy = errors.New("discovery task is already running")

// DiscoveryOptions tune a Discoverer. Zero values mean the defaults.
type DiscoveryOptions struct {
	// Workers bounds the addresses a CIDR scan probes at once (default 32).
	Workers int
	// ProbeTimeout bounds one probe of one address for one vendor: the TCP
	// connect (Shure) or the wait for an SSC reply (Sennheiser). Default 500 ms.
	ProbeTimeout time.Duration
	// IdentifyTimeout bounds asking one device what it is (default
	// device.IdentifyTimeout).
	IdentifyTimeout time.Duration
	// SLPListen is how long an slp task listens for announcements (default 5 s).
	SLPListen time.Duration
	// SLPAddr is where SLP announcements arrive (default the announcing
	// vendor's address from the device registry: Shure's SLP group, the
	// multicast group). A unicast address is listened on directly, which is
	// what tests use.
	SLPAddr string
	// MDNSListen is how long an mdns task gathers answers to its query
	// (default 3 s).
	MDNSListen time.Duration
	// MDNSAddr is where an mdns task sends its query (default the mDNS
	// group 224.0.0.251:5353). The query goes from an ephemeral port, so
	// responders answer by unicast; a unicast address asks one responder,
	// which is what tests use.
	MDNSAddr string
	// Port, when set, replaces every vendor's default control port (TCP 2202,
	// UDP 45) for cidr and slp probes and for manual targets without a port.
	// Tests use it when those ports cannot be bound.
	Port int
	// Every is how often Run looks for due tasks (default 30 s).
	Every time.Duration
	// Lease is how long a run holds its task without renewing (default
	// service.DefaultRunLease); a run killed with its process is taken over
	// once it expires.
	Lease  time.Duration
	Logger *slog.Logger
	// Observer is told of every service call a run makes (nil: nobody).
	Observer service.Observer
	// Now is the clock Due is asked with (default time.Now).
	Now func() time.Time
}

func (o DiscoveryOptions) withDefaults() DiscoveryOptions {
	if o.Workers <= 0 {
		o.Workers = DefaultDiscoveryWorkers
	}
	if o.Port < 0 || o.Port > 65535 {
		o.Port = 0
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = DefaultProbeTimeout
	}
	if o.IdentifyTimeout <= 0 {
		o.IdentifyTimeout = device.IdentifyTimeout
	}
	if o.SLPListen <= 0 {
		o.SLPListen = DefaultSLPListen
	}
	if o.MDNSListen <= 0 {
		o.MDNSListen = DefaultMDNSListen
	}
	if o.Every <= 0 {
		o.Every = DefaultDiscoveryEvery
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Discoverer runs discovery tasks: it finds receivers by address, by scanning
// a network range, by listening to announcements (SLP) or by browsing the
// DNS-SD service they publish (mDNS), asks each what it is, and files it for
// approval through service.Discovery.
type Discoverer struct {
	st   *store.Store
	disc *service.TimedDiscovery
	opts DiscoveryOptions
	log  *slog.Logger

	mu      sync.Mutex
	running map[int64]bool
}

// NewDiscoverer returns a Discoverer; Run starts its schedule.
func NewDiscoverer(st *store.Store, opts DiscoveryOptions) *Discoverer {
	opts = opts.withDefaults()
	return &Discoverer{
		st: st, disc: service.TimeDiscovery(service.NewDiscovery(st).WithLease(opts.Lease), observer(opts.Observer)), opts: opts,
		log:     opts.Logger.With("component", "discovery"),
		running: map[int64]bool{},
	}
}

// Run runs the due tasks now and then every DiscoveryOptions.Every until ctx
// ends, waking earlier when a running task's lease is about to expire so a
// run that died elsewhere is taken over promptly. Failures are recorded on
// the tasks and logged; Run itself only stops with ctx.
func (d *Discoverer) Run(ctx context.Context) {
	for {
		if err := d.RunDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("discovery round had failures", "err", err)
		}
		wait := time.NewTimer(d.nextRound(ctx))
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
	}
}

// reclaimSlack is added to a lease's expiry before looking again, so the
// round runs just after the lease has expired rather than just before.
const reclaimSlack = 250 * time.Millisecond

// nextRound is how long Run waits: Every, or less when a lease expires
// sooner.
func (d *Discoverer) nextRound(ctx context.Context) time.Duration {
	wait := d.opts.Every
	left, ok, err := d.st.DiscoveryTasks.NextLeaseExpiry(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("look for expiring discovery leases", "err", err)
		}
		return wait
	}
	if ok {
		wait = min(wait, max(left, 0)+reclaimSlack)
	}
	return wait
}

// RunDue runs every task that is due now, one at a time, so two scans never
// compete for the network or the devices. It returns the tasks' failures
// joined (each is also recorded on its task).
func (d *Discoverer) RunDue(ctx context.Context) error {
	tasks, err := d.st.DiscoveryTasks.Due(ctx, d.opts.Now())
	if err != nil {
		return fmt.Errorf("find due discovery tasks: %w", err)
	}
	var errs []error
	for _, t := range tasks {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := d.RunTask(ctx, t.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RunTask runs one task now: it marks the task running, searches the way the
// task's kind says, files every device found, and records the outcome
// (addresses scanned, devices found, error) on the task. The returned error
// is the run's failure, also stored as the task's last error.
func (d *Discoverer) RunTask(ctx context.Context, taskID int64) error {
	if !d.claim(taskID) {
		return fmt.Errorf("run discovery task %d: %w", taskID, ErrTaskBusy)
	}
	defer d.release(taskID)

	t, err := d.disc.StartRun(ctx, taskID)
	if errors.Is(err, store.ErrLeaseHeld) {
		return fmt.Errorf("start discovery task %d: %w: %w", taskID, ErrTaskBusy, err)
	}
	if err != nil {
		return fmt.Errorf("start discovery task %d: %w", taskID, err)
	}
	log := d.log.With("task", t.ID, "kind", t.Kind, "target", t.Target)
	started := time.Now()
	runCtx, stopRun := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		d.keepLease(runCtx, taskID, stopRun, log) // not t.ID: the run writes through t
	}()
	scanned, found, runErr := d.run(runCtx, t, log)
	if cause := context.Cause(runCtx); runErr != nil && ctx.Err() == nil && errors.Is(cause, store.ErrLeaseLost) {
		runErr = cause
	}
	stopRun(nil)
	<-renewed

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := d.disc.FinishRun(fctx, t.ID, scanned, found, runErr); err != nil {
		err = fmt.Errorf("record outcome of discovery task %d: %w", t.ID, err)
		if runErr == nil {
			return err
		}
		return errors.Join(fmt.Errorf("discovery task %d %q: %w", t.ID, t.Name, runErr), err)
	}
	took := time.Since(started).Round(time.Millisecond)
	if runErr != nil {
		log.Warn("discovery run failed", "scanned", scanned, "found", found, "took", took, "err", runErr)
		return fmt.Errorf("discovery task %d %q: %w", t.ID, t.Name, runErr)
	}
	log.Info("discovery run finished", "scanned", scanned, "found", found, "took", took)
	return nil
}

// keepLease renews the run's lease until ctx ends. A lease taken over by
// another instance stops the run: that instance is running the task now.
func (d *Discoverer) keepLease(ctx context.Context, id int64, stop context.CancelCauseFunc, log *slog.Logger) {
	tk := time.NewTicker(d.disc.RenewEvery())
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		err := d.disc.RenewRun(ctx, id)
		switch {
		case err == nil || ctx.Err() != nil:
		case errors.Is(err, store.ErrLeaseLost):
			log.Warn("discovery run lost its lease to another instance; stopping", "err", err)
			stop(err)
			return
		default:
			// The database may be back before the lease runs out; the next
			// tick tries again.
			log.Warn("renew discovery lease", "err", err)
		}
	}
}

func (d *Discoverer) claim(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running[id] {
		return false
	}
	d.running[id] = true
	return true
}

func (d *Discoverer) release(id int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, id)
}

// run dispatches on the task's kind; it returns addresses scanned, devices
// filed, and the run's failure.
func (d *Discoverer) run(ctx context.Context, t *model.DiscoveryTask, log *slog.Logger) (int, int, error) {
	vendor, err := d.vendorOf(ctx, t)
	if err != nil {
		return 0, 0, err
	}
	switch t.Kind {
	case model.DiscoveryManual:
		return d.runManual(ctx, t, vendor)
	case model.DiscoveryCIDR:
		return d.runCIDR(ctx, t, vendor, log)
	case model.DiscoverySLP:
		return d.runSLP(ctx, t, vendor, log)
	case model.DiscoveryMDNS:
		return d.runMDNS(ctx, t, vendor, log)
	}
	return 0, 0, fmt.Errorf("unknown discovery kind %q", t.Kind)
}

// vendorOf returns the task's vendor code, "" when the task names none.
func (d *Discoverer) vendorOf(ctx context.Context, t *model.DiscoveryTask) (string, error) {
	if t.ManufacturerID == nil {
		return "", nil
	}
	mf, err := d.st.Manufacturers.Get(ctx, *t.ManufacturerID)
	if err != nil {
		return "", fmt.Errorf("vendor of the task: %w", err)
	}
	return mf.Code, nil
}

// port is the control port probed for a vendor.
func (d *Discoverer) port(vendor string) int {
	if d.opts.Port != 0 {
		return d.opts.Port
	}
	return DefaultPort(vendor)
}

func (d *Discoverer) record(ctx context.Context, t *model.DiscoveryTask, f service.Found) error {
	f.TaskID = &t.ID
	if _, err := d.disc.RecordFound(ctx, f); err != nil {
		return err
	}
	return nil
}

// runManual asks the one device the task names.
func (d *Discoverer) runManual(ctx context.Context, t *model.DiscoveryTask, vendor string) (int, int, error) {
	if vendor == "" {
		// CreateTask refuses this; a row edited by hand could still have it.
		return 0, 0, errors.New("a manual task must name the vendor of its device")
	}
	host, port, err := service.ParseHostPort(t.Target, d.port(vendor))
	if err != nil {
		return 0, 0, fmt.Errorf("target %q: %w", t.Target, err)
	}
	f, err := d.identify(ctx, vendor, host, port)
	if err != nil {
		return 1, 0, fmt.Errorf("no %s receiver answered at %s: %w", vendor, hostPort(host, port), err)
	}
	if err := d.record(ctx, t, f); err != nil {
		return 1, 0, err
	}
	return 1, 1, nil
}

// identify asks a device what it is and turns the answer into a Found.
func (d *Discoverer) identify(ctx context.Context, vendor, host string, port int) (service.Found, error) {
	ictx, cancel := context.WithTimeout(ctx, d.opts.IdentifyTimeout)
	defer cancel()
	r, err := device.IdentifyWith(ictx, vendor, device.Config{
		Host: host, Port: port, DisableMeters: true, Logger: d.log,
	})
	if err != nil {
		return service.Found{}, err
	}
	return foundFromReading(vendor, host, port, r), nil
}

// foundFromReading keeps what discovery files about a device.
func foundFromReading(vendor, host string, port int, r device.Reading) service.Found {
	f := service.Found{Vendor: vendor, Host: host, Port: port}
	f.Model, _ = r.Model.Get()
	f.Name, _ = r.Name.Get()
	f.Serial, _ = r.Serial.Get()
	if n, ok := r.ChannelCount.Get(); ok && n > 0 {
		f.Channels = n
	} else {
		f.Channels = len(r.ChannelNumbers())
	}
	return f
}

// scanAddrs lists the host addresses of a prefix: every address, less the
// network and broadcast addresses of an IPv4 prefix shorter than /31.
func scanAddrs(target string) ([]netip.Addr, error) {
	p, err := netip.ParsePrefix(target)
	if err != nil {
		return nil, fmt.Errorf("target %q is not a network such as 192.168.1.0/24: %w", target, err)
	}
	p = p.Masked()
	hostBits := p.Addr().BitLen() - p.Bits()
	// Checked again here because a task row need not have come through
	// service.CreateTask; the shift below also needs a small count.
	if hostBits > 10 {
		return nil, fmt.Errorf("%s holds more than %d addresses; scan smaller ranges", p, service.MaxScanAddresses)
	}
	n := 1 << hostBits
	out := make([]netip.Addr, 0, n)
	for a, i := p.Addr(), 0; i < n && a.IsValid(); a, i = a.Next(), i+1 {
		out = append(out, a)
	}
	if p.Addr().Is4() && p.Bits() < 31 && len(out) > 2 {
		out = out[1 : len(out)-1]
	}
	return out, nil
}

// runCIDR probes every address of the task's range with a bounded pool of
// workers and files the devices that identify themselves.
func (d *Discoverer) runCIDR(ctx context.Context, t *model.DiscoveryTask, vendor string, log *slog.Logger) (int, int, error) {
	addrs, err := scanAddrs(t.Target)
	if err != nil {
		return 0, 0, err
	}
	vendors := []string{vendor}
	if vendor == "" {
		vendors = device.Vendors()
	}

	jobs := make(chan netip.Addr)
	results := make(chan service.Found)
	var scanned atomic.Int64
	var wg sync.WaitGroup
	for range min(d.opts.Workers, len(addrs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range jobs {
				for _, v := range vendors {
					for _, port := range d.scanPorts(v) {
						if f, ok := d.probe(ctx, v, a, port, log); ok {
							results <- f
						}
					}
				}
				// An address whose probe was cut short was not scanned.
				if ctx.Err() == nil {
					scanned.Add(1)
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, a := range addrs {
			select {
			case jobs <- a:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	// Filing happens here, one at a time, so a scan holds at most one
	// database connection whatever its worker count.
	found := 0
	var recordErr error
	for f := range results {
		if ctx.Err() != nil {
			continue // drain: the run is over and filing would only fail
		}
		if err := d.record(ctx, t, f); err != nil {
			if recordErr == nil {
				recordErr = err
			}
			log.Warn("could not file a found device", "host", f.Host, "port", f.Port, "err", err)
			continue
		}
		found++
	}
	n := int(scanned.Load())
	if err := ctx.Err(); err != nil {
		return n, found, fmt.Errorf("scan of %s stopped after %d of %d addresses: %w", t.Target, n, len(addrs), err)
	}
	return n, found, recordErr
}

// scanPorts are the ports a range scan probes for vendor: its default
// control port and the ports of families that have their own (ew G4), or
// only DiscoveryOptions.Port when set.
func (d *Discoverer) scanPorts(vendor string) []int {
	if d.opts.Port != 0 {
		return []int{d.opts.Port}
	}
	v, _ := device.LookupVendor(vendor)
	ports := []int{v.DefaultPort}
	for _, p := range v.ScanPorts {
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports
}

// probe checks cheaply whether addr:port speaks the vendor's protocol (the
// vendor's own probe, from the device registry) and, when it seems to, asks
// it what it is. Answering the probe proves little (anything may listen on
// TCP 2202), so only a device that identifies itself counts.
func (d *Discoverer) probe(ctx context.Context, vendor string, addr netip.Addr, port int, log *slog.Logger) (service.Found, bool) {
	v, ok := device.LookupVendor(vendor)
	if !ok {
		return service.Found{}, false
	}
	target := netip.AddrPortFrom(addr, uint16(port)).String()
	if v.Probe != nil && !v.Probe(ctx, addr.String(), port, d.opts.ProbeTimeout) {
		return service.Found{}, false
	}
	f, err := d.identify(ctx, vendor, addr.String(), port)
	if err != nil {
		log.Debug("answered the probe but did not identify", "vendor", vendor, "addr", target, "err", err)
		return service.Found{}, false
	}
	return f, true
}

// ApproveDiscovered turns a discovered device into a receiver from the
// device's own fresh answers: it asks the device again (model, name, channel
// count and names) and approves with that report, so the receiver starts with
// the channels the device really has. A device that does not answer is
// approved from what discovery recorded, but only when that includes a model
// and a channel count; otherwise the device's error is returned.
func ApproveDiscovered(ctx context.Context, st *store.Store, discoveredID int64) (*model.Receiver, error) {
	disc := service.NewDiscovery(st)
	d, err := st.DiscoveredDevices.Get(ctx, discoveredID)
	if err != nil {
		return nil, err
	}
	if d.State != model.DiscoveredNew {
		// Let the service refuse it with its own error; asking the device
		// first would only make the refusal slow.
		return disc.Approve(ctx, discoveredID, nil)
	}
	mf, err := st.Manufacturers.Get(ctx, d.ManufacturerID)
	if err != nil {
		return nil, fmt.Errorf("approve discovered device %d: %w", discoveredID, err)
	}
	vendor := mf.Code

	r, err := device.Identify(ctx, vendor, d.Host, d.Port)
	if err == nil {
		var rep service.DeviceReport
		if rep, err = ReportFromReading(vendor, d.Host, d.Port, r); err == nil {
			// Identity the device does not report itself stays as found.
			if rep.Serial == "" {
				rep.Serial = d.Serial
			}
			rep.MAC = d.MAC
			return disc.Approve(ctx, discoveredID, &rep)
		}
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("approve discovered device %d: %w", discoveredID, ctx.Err())
	}
	if d.Model != "" && d.Channels > 0 {
		slog.Default().Warn("approving a discovered device from what discovery recorded: it did not answer now",
			"discovered", discoveredID, "addr", hostPort(d.Host, d.Port), "err", err)
		return disc.Approve(ctx, discoveredID, nil)
	}
	return nil, fmt.Errorf("approve discovered device %d: %s did not answer and discovery recorded no model and channel count: %w",
		discoveredID, hostPort(d.Host, d.Port), err)
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
