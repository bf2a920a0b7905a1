package live

import (
	"micboard/app/device"
)

// InEar reports whether the tile is a channel of an in-ear monitor
// transmitter (a PSM1000 P10T): it sends audio to a performer rather than
// receiving a mic pack, so the board shows its inputs and RF output instead
// of a transmitter's battery and received RF. The device registry says
// which device types are.
func (t *Tile) InEar() bool {
	_, f, ok := device.LookupDeviceType(string(t.DeviceType))
	return ok && f.Kind == device.KindIEMTransmitter
}

// applyInEar copies an in-ear transmitter's facts from an update: the right
// audio input is a meter; transmit power and RF mute are state a person
// reads.
func applyInEar(t *Tile, cr *device.ChannelReading) Change {
	var c Change
	if v, ok := cr.AudioLevelRightDBFS.Get(); ok {
		t.AudioRightDBFS = &v
		c |= ChangeMeter
	}
	if cr.RFPowerMW.Set && setIntPtr(&t.RFPowerMW, cr.RFPowerMW) {
		c |= ChangeState
	}
	if v, ok := cr.RFMuted.Get(); ok && (t.RFMuted == nil || *t.RFMuted != v) {
		t.RFMuted = &v
		c |= ChangeState
	}
	return c
}
