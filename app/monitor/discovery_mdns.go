package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"micboard/app/device"
	"micboard/app/device/mdns"
	"micboard/app/model"
	"micboard/app/service"
)

// runMDNS browses the DNS-SD service the vendor's devices publish (the
// device registry says which: Sennheiser's `_ssc._udp`), then asks every
// instance found what it is, at the address and port its SRV record gives.
// An instance whose name or TXT record names a model the vendor's table
// knows is filed even if it does not answer (with what it published); any
// other is filed only if it identifies itself. Scanned counts the instances
// heard.
func (d *Discoverer) runMDNS(ctx context.Context, t *model.DiscoveryTask, vendor string, log *slog.Logger) (int, int, error) {
	v, ok := device.Publisher(vendor)
	if !ok {
		if vendor != "" {
			return 0, 0, fmt.Errorf("%s devices publish no DNS-SD service to browse", vendor)
		}
		return 0, 0, errors.New("no registered vendor publishes a DNS-SD service")
	}
	addr := d.opts.MDNSAddr
	if addr == "" {
		addr = mdns.DefaultAddr
	}
	instances, err := mdns.Browse(ctx, mdns.BrowseOptions{Service: v.MDNSService, Addr: addr, Window: d.opts.MDNSListen, Logger: log})
	if err != nil {
		return len(instances), 0, fmt.Errorf("mdns discovery of %s via %s: %w", v.MDNSService, addr, err)
	}
	found, err, stopped := d.identifyAndFile(ctx, t, len(instances), log, func(i int) *service.Found {
		return d.mdnsFound(ctx, v, instances[i], log)
	})
	if stopped != nil {
		return len(instances), 0, fmt.Errorf("mdns discovery stopped: %w", stopped)
	}
	return len(instances), found, err
}

// mdnsFound builds the Found for one published instance, nil when there is
// nothing to file.
func (d *Discoverer) mdnsFound(ctx context.Context, v device.Vendor, in mdns.Instance, log *slog.Logger) *service.Found {
	if len(in.Addrs) == 0 || in.Port == 0 {
		return nil
	}
	host := in.Addrs[0].String()
	log = log.With("instance", in.Name, "host", host, "port", in.Port)
	var (
		model    string
		channels int
		known    bool
	)
	if v.MDNSModel != nil {
		model, channels, known = v.MDNSModel(in.Name, in.TXT)
	}
	f, err := d.identify(ctx, v.Code, host, in.Port)
	if err != nil {
		if !known {
			log.Info("published instance did not identify", "err", err)
			return nil
		}
		log.Info("published instance did not identify; filing what it published", "model", model, "err", err)
		return &service.Found{Vendor: v.Code, Host: host, Port: in.Port, Model: model, Channels: channels, Name: in.Name}
	}
	// The device's own answers win; what it published fills what they left
	// out (the instance name is the device's name).
	if f.Model == "" {
		f.Model, f.Channels = model, max(f.Channels, channels)
	}
	if f.Name == "" {
		f.Name = in.Name
	}
	log.Debug("published instance identified", "model", f.Model, "channels", f.Channels)
	return &f
}
