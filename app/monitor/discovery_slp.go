package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"micboard/app/device"
	"micboard/app/model"
	"micboard/app/service"
)

// maxSLPAnnouncers bounds how many distinct senders one listen remembers, so
// a flood of datagrams cannot grow memory without end.
const maxSLPAnnouncers = 1024

// slpHeard is one announcer heard during a listen.
type slpHeard struct {
	addr netip.Addr
	ann  device.Announcement
}

// runSLP listens for announcements (the device registry says which vendor
// announces, where and how: Shure's SLP), then asks every announcer what it
// is. An announcer whose id the vendor's table knows is filed even if it
// does not answer (with what the announcement said); one with an unknown id
// is logged and filed only if it identifies itself, because anything may
// send to the group. Scanned counts the distinct senders heard.
func (d *Discoverer) runSLP(ctx context.Context, t *model.DiscoveryTask, vendor string, log *slog.Logger) (int, int, error) {
	v, ok := device.Announcer(vendor)
	if !ok {
		return 0, 0, errors.New("no registered vendor announces its devices")
	}
	addr := d.opts.SLPAddr
	if addr == "" {
		addr = v.AnnounceAddr
	}
	senders, heard, err := d.listenSLP(ctx, v, addr, log)
	if err != nil {
		return senders, 0, err
	}
	port := d.port(v.Code)
	found, err, stopped := d.identifyAndFile(ctx, t, len(heard), log, func(i int) *service.Found {
		return d.slpFound(ctx, v.Code, heard[i], port, log)
	})
	if stopped != nil {
		return senders, 0, fmt.Errorf("slp discovery stopped: %w", stopped)
	}
	return senders, found, err
}

// slpFound builds the Found for one announcer, nil when there is nothing to
// file.
func (d *Discoverer) slpFound(ctx context.Context, vendor string, h slpHeard, port int, log *slog.Logger) *service.Found {
	host := h.addr.String()
	f, err := d.identify(ctx, vendor, host, port)
	if h.ann.Model == "" {
		// Not refused: the id is logged so the table can learn it, and a
		// device that answers is filed from its own answers below.
		log.Info("announcer with a device class id the table does not list", "host", host, "dcid", h.ann.ID, "identified", err == nil)
	}
	if err != nil {
		if h.ann.Model == "" {
			log.Info("announcer with an unknown device class did not identify", "host", host, "dcid", h.ann.ID, "err", err)
			return nil
		}
		log.Info("announcer did not identify; filing what it announced", "host", host, "model", h.ann.Model, "err", err)
		return &service.Found{Vendor: vendor, Host: host, Port: port, Model: h.ann.Model, Channels: h.ann.Channels}
	}
	// The device's own answers win; the announcement fills what it left out.
	if f.Model == "" {
		f.Model = h.ann.Model
	}
	if f.Channels == 0 {
		f.Channels = h.ann.Channels
	}
	return &f
}

// listenSLP listens on SLPAddr for SLPListen (or until ctx ends) and returns
// how many distinct senders it heard and the announcers among them, in the
// order first heard.
func (d *Discoverer) listenSLP(ctx context.Context, v device.Vendor, addr string, log *slog.Logger) (int, []slpHeard, error) {
	conn, err := listenSLPAddr(addr)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	if err := conn.SetReadDeadline(time.Now().Add(d.opts.SLPListen)); err != nil {
		return 0, nil, fmt.Errorf("slp listen: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	senders := map[netip.Addr]bool{}
	index := map[netip.Addr]int{}
	var heard []slpHeard
	buf := make([]byte, 64<<10)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil {
				return len(senders), heard, fmt.Errorf("slp listen on %s: %w", addr, ctx.Err())
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return len(senders), heard, nil
			}
			return len(senders), heard, fmt.Errorf("slp listen on %s: %w", addr, err)
		}
		src := from.Addr().Unmap()
		if !senders[src] && len(senders) < maxSLPAnnouncers {
			senders[src] = true
		}
		ann, ok := v.ParseAnnouncement(buf[:n])
		if !ok {
			continue
		}
		if i, seen := index[src]; seen {
			// Keep the most informative announcement of a sender.
			if heard[i].ann.Model == "" && ann.Model != "" {
				heard[i].ann = ann
			}
			continue
		}
		if len(heard) >= maxSLPAnnouncers {
			continue
		}
		index[src] = len(heard)
		heard = append(heard, slpHeard{addr: src, ann: ann})
		log.Debug("announcement", "vendor", v.Code, "from", src, "id", ann.ID, "model", ann.Model, "url", ann.URL)
	}
}

// listenSLPAddr joins the group when addr is multicast, else binds addr.
func listenSLPAddr(addr string) (*net.UDPConn, error) {
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("slp address %q: %w", addr, err)
	}
	var conn *net.UDPConn
	if ua.IP.IsMulticast() {
		conn, err = net.ListenMulticastUDP("udp4", nil, ua)
	} else {
		conn, err = net.ListenUDP("udp4", ua)
	}
	if err != nil {
		return nil, fmt.Errorf("slp listen on %s: %w", addr, err)
	}
	return conn, nil
}

// identifyAndFile asks the n devices a discovery heard what they are, on
// the task's workers (identify builds the Found for device i, nil for none
// worth filing), then files each in the queue. It returns how many were
// filed and the first filing error, or stopped when ctx ended before the
// devices had answered (nothing is filed then).
func (d *Discoverer) identifyAndFile(ctx context.Context, t *model.DiscoveryTask, n int, log *slog.Logger, identify func(i int) *service.Found) (filed int, recordErr error, stopped error) {
	founds := make([]*service.Found, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(d.opts.Workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				founds[i] = identify(i)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	for _, f := range founds {
		if f == nil {
			continue
		}
		if err := d.record(ctx, t, *f); err != nil {
			if recordErr == nil {
				recordErr = err
			}
			log.Warn("could not file a found device", "host", f.Host, "port", f.Port, "err", err)
			continue
		}
		filed++
	}
	return filed, recordErr, nil
}
