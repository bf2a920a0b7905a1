package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"micboard/app/live"
	"micboard/app/model"
)

// DefaultTopicPrefix roots Micboard's topics: <prefix>/alerts for alert
// events, <prefix>/channels/<slot>/state for each channel's retained state.
const DefaultTopicPrefix = "micboard"

// ChannelTopic is the retained state topic of a channel: its slot (HH01),
// or ch<id> for a channel without one.
func ChannelTopic(prefix, slot string, channelID int64) string {
	if !topicSafe.MatchString(slot) {
		slot = "ch" + strconv.FormatInt(channelID, 10)
	}
	return prefix + "/channels/" + slot + "/state"
}

// topicSafe keeps MQTT wildcards and separators out of a topic level.
var topicSafe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ChannelStateMessage is the retained JSON of a channel's state.
type ChannelStateMessage struct {
	ChannelID      int64        `json:"channel_id"`
	Slot           string       `json:"slot"`
	Name           string       `json:"name"`
	Performer      string       `json:"performer"`
	Receiver       string       `json:"receiver"`
	Status         model.Status `json:"status"`
	NeedsAttention bool         `json:"needs_attention"`
	Online         bool         `json:"online"`
	BatteryPercent *int         `json:"battery_percent"`
	BatteryMinutes *int         `json:"battery_minutes"`
	At             time.Time    `json:"at"`
}

// MQTT publishes alert events on micboard/alerts and each channel's state,
// retained, on micboard/channels/<slot>/state when its status changes. The
// board's side never waits: states are coalesced per channel and sent by a
// goroutine of their own; events go through the Dispatcher's queue.
type MQTT struct {
	client paho.Client
	host   string
	prefix string
	log    *slog.Logger

	mu      sync.Mutex
	pending map[int64]live.Tile
	kick    chan struct{}
}

// NewMQTT connects to the broker at mqtt://[user:pass@]host[:port]
// (default port 1883), reconnecting by itself for as long as it runs.
func NewMQTT(brokerURL, prefix string, log *slog.Logger) (*MQTT, error) {
	if prefix == "" {
		prefix = DefaultTopicPrefix
	}
	u, err := url.Parse(brokerURL)
	if err != nil || (u.Scheme != "mqtt" && u.Scheme != "tcp") || u.Hostname() == "" {
		return nil, fmt.Errorf("MQTT broker %q: want mqtt://host[:port]", brokerURL)
	}
	port := u.Port()
	if port == "" {
		port = "1883"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := paho.NewClientOptions().AddBroker("tcp://"+u.Hostname()+":"+port).
		SetClientID(fmt.Sprintf("micboard-%d", time.Now().UnixNano())).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(2*time.Second).
		SetMaxReconnectInterval(30*time.Second).SetConnectTimeout(5*time.Second).
		SetOrderMatters(false).
		SetWill(prefix+"/online", "false", 1, true)
	if u.User != nil {
		opts.SetUsername(u.User.Username())
		if p, ok := u.User.Password(); ok {
			opts.SetPassword(p)
		}
	}
	m := &MQTT{host: u.Host, prefix: prefix, log: log, pending: map[int64]live.Tile{}, kick: make(chan struct{}, 1)}
	opts.SetOnConnectHandler(func(c paho.Client) {
		log.Info("MQTT connected", "broker", u.Host)
		c.Publish(prefix+"/online", 1, true, "true")
	})
	opts.SetConnectionLostHandler(func(_ paho.Client, err error) { log.Warn("MQTT connection lost", "broker", u.Host, "err", err) })
	m.client = paho.NewClient(opts)
	m.client.Connect() // retries in the background (SetConnectRetry)
	return m, nil
}

// Kind implements Sink.
func (m *MQTT) Kind() string { return "mqtt" }

// Target implements Sink.
func (m *MQTT) Target() string { return m.host }

// Wants implements Sink: every event.
func (m *MQTT) Wants(Event) bool { return true }

// Deliver publishes one event on micboard/alerts (QoS 1, not retained).
func (m *MQTT) Deliver(ctx context.Context, ev Event) error {
	body, err := json.Marshal(NewPayload(ev))
	if err != nil {
		return permanent{fmt.Errorf("encode MQTT event: %w", err)}
	}
	return m.publish(ctx, m.prefix+"/alerts", false, body)
}

func (m *MQTT) publish(ctx context.Context, topic string, retained bool, body []byte) error {
	if !m.client.IsConnectionOpen() {
		return fmt.Errorf("MQTT broker %s not connected", m.host)
	}
	tok := m.client.Publish(topic, 1, retained, body)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("MQTT publish %s: %w", topic, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("MQTT publish %s: %w", topic, ctx.Err())
	}
}

// ChannelState implements StateListener: it keeps the latest state of the
// channel and wakes the state publisher, never waiting.
func (m *MQTT) ChannelState(t live.Tile) {
	m.mu.Lock()
	m.pending[t.ChannelID] = t
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Run publishes channel states until ctx ends, then disconnects.
func (m *MQTT) Run(ctx context.Context) {
	defer m.client.Disconnect(250)
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		}
		m.mu.Lock()
		batch := m.pending
		m.pending = map[int64]live.Tile{}
		m.mu.Unlock()
		if err := m.publishStates(ctx, batch); err != nil {
			m.log.Debug("MQTT states not sent; trying again", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			select {
			case m.kick <- struct{}{}:
			default:
			}
		}
	}
}

// publishStates sends each channel's retained state; on a failure the
// states not sent go back to pending unless a newer one came meanwhile.
func (m *MQTT) publishStates(ctx context.Context, batch map[int64]live.Tile) error {
	for id, t := range batch {
		msg := ChannelStateMessage{
			ChannelID: t.ChannelID, Slot: t.Slot, Name: t.Name, Performer: t.Performer, Receiver: t.ReceiverName,
			Status: t.Status, NeedsAttention: t.NeedsAttention(), Online: t.Online, BatteryMinutes: t.Battery.Minutes, At: t.UpdatedAt,
		}
		if p, ok := t.Battery.PercentLeft(); ok {
			msg.BatteryPercent = &p
		}
		body, err := json.Marshal(msg)
		if err != nil {
			return fmt.Errorf("encode channel state: %w", err)
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = m.publish(pctx, ChannelTopic(m.prefix, t.Slot, t.ChannelID), true, body)
		cancel()
		if err != nil {
			m.mu.Lock()
			for rid, rt := range batch {
				if _, newer := m.pending[rid]; !newer {
					m.pending[rid] = rt
				}
			}
			m.mu.Unlock()
			return err
		}
		delete(batch, id)
	}
	return nil
}
