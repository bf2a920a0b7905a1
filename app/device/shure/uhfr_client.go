package shure

import (
	"context"
	"fmt"
	"net"
	"time"
)

// uhfrReceivers is how many receivers a UHF-R unit may have (UR4D); a
// client asks and meters that many before the unit says how many it has.
const uhfrReceivers = 2

// dialUHFR opens the UDP "session" of a UHF-R receiver: it asks for both
// receivers' names and waits for any `* ... *` answer, since UDP itself says
// nothing about whether someone listens. Then it sends the opening queries
// and starts metering (in 30 ms units).
func (c *Client) dialUHFR(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", c.addr)
	if err != nil {
		return fmt.Errorf("shure: dial udp %s: %w", c.addr, err)
	}
	// UR4D has two receivers; a UR4S ignores (or rejects) channel 2.
	var cmds []string
	for ch := 1; ch <= uhfrReceivers; ch++ {
		for _, p := range []string{"CHAN_NAME", "TX_TYPE", "TX_BAT", "FREQUENCY"} {
			cmds = append(cmds, UHFRGet(ch, p))
		}
	}
	deadline := time.Now().Add(c.cfg.DialTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte(cmds[0])); err != nil {
		conn.Close()
		return fmt.Errorf("shure: probe udp %s: %w", c.addr, err)
	}
	buf := make([]byte, 2048)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			conn.Close()
			return fmt.Errorf("shure: no UHF-R answer from %s: %w", c.addr, err)
		}
		got := false
		SplitStars(buf[:n], func([]byte) { got = true })
		if got {
			break
		}
	}
	_ = conn.SetDeadline(time.Time{})
	c.family.Store(uint32(FamilyUHFR))
	c.setConn(conn, true)
	if !c.cfg.DisableMeters {
		for ch := 1; ch <= uhfrReceivers; ch++ {
			cmds = append(cmds, UHFRMeter(ch, c.cfg.MeterRate))
		}
	}
	if err := c.send(ctx, cmds...); err != nil {
		return fmt.Errorf("shure: opening queries to UHF-R %s: %w", c.addr, err)
	}
	c.log.Debug("connected over UDP (UHF-R)", "meter_rate", c.cfg.MeterRate)
	return nil
}
