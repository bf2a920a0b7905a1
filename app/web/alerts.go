package web

import (
	"bytes"
	"encoding/json"

	"micboard/app/alert"
	"micboard/app/model"
)

// AttachAlerts gives the server the alerting, whose events the live
// streams carry (a toast on the board, a strip on kiosks).
func (s *Server) AttachAlerts(a *alert.System) { s.alerts = a }

// alertMessage is the data of an "alert" stream event.
type alertMessage struct {
	Event     string              `json:"event"` // opened, acknowledged, resolved; active for what was open when the stream began
	ID        int64               `json:"id"`
	Kind      model.AlertKind     `json:"kind"`
	Severity  model.AlertSeverity `json:"severity"`
	State     model.AlertState    `json:"state"`
	Message   string              `json:"message"`
	Slot      string              `json:"slot"`
	ChannelID int64               `json:"channel_id,omitempty"`
}

// encodedAlert is one alert event encoded once for every stream.
type encodedAlert struct {
	channel int64 // 0: a receiver's alert, shown by every view
	frame   []byte
}

func encodeAlert(event string, a *model.Alert) encodedAlert {
	m := alertMessage{Event: event, ID: a.ID, Kind: a.Kind, Severity: a.Severity, State: a.State, Message: a.Message, Slot: a.Slot}
	if a.ChannelID != nil {
		m.ChannelID = *a.ChannelID
	}
	body, _ := json.Marshal(m) // plain fields: cannot fail
	var b bytes.Buffer
	appendEvent(&b, "alert", body)
	return encodedAlert{channel: m.ChannelID, frame: b.Bytes()}
}

// shows reports whether a view carries an alert: a receiver's alert goes
// everywhere, a channel's where the view shows the channel.
func (feed *viewFeed) shows(a encodedAlert) bool { return a.channel == 0 || feed.displayed[a.channel] }

// newAlertFrames reads the alert events published since the hub last
// looked, each encoded once; the hub adds them to the frames of the views
// that show their channel, so an alert costs the same for one browser or a
// thousand.
func (h *streamHub) newAlertFrames() []encodedAlert {
	if h.s.alerts == nil {
		return nil
	}
	var out []encodedAlert
	h.alertSeq = h.s.alerts.Feed.Since(h.alertSeq, func(ev alert.Event) {
		out = append(out, encodeAlert(string(ev.Event), &ev.Alert))
	})
	return out
}

// activeAlerts encodes the alerts unresolved now for a stream that begins,
// so a kiosk's strip is right after a reload or a reconnect.
func (s *Server) activeAlerts(feed *viewFeed, out *bytes.Buffer) {
	if s.alerts == nil {
		return
	}
	list := s.alerts.Engine.Unresolved(nil)
	for i := len(list) - 1; i >= 0; i-- { // oldest first, as they came
		a := encodeAlert("active", &list[i])
		if feed.shows(a) {
			out.Write(a.frame)
		}
	}
}
