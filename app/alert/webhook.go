package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"micboard/app/model"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body>" keyed
// with the webhook's secret.
const SignatureHeader = "X-Micboard-Signature"

// Sign returns the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header in constant time.
func Verify(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(header))
}

// Payload is the JSON body of every delivery (webhook, MQTT).
type Payload struct {
	Event          model.AlertEvent    `json:"event"`
	ID             int64               `json:"id"`
	Kind           model.AlertKind     `json:"kind"`
	Severity       model.AlertSeverity `json:"severity"`
	State          model.AlertState    `json:"state"`
	Message        string              `json:"message"`
	ChannelID      *int64              `json:"channel_id"`
	Slot           string              `json:"slot"`
	Channel        string              `json:"channel"`
	Performer      string              `json:"performer"`
	ReceiverID     *int64              `json:"receiver_id"`
	Receiver       string              `json:"receiver"`
	Values         json.RawMessage     `json:"values"`
	OpenedAt       time.Time           `json:"opened_at"`
	AcknowledgedAt *time.Time          `json:"acknowledged_at"`
	AcknowledgedBy string              `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time          `json:"resolved_at"`
	ResolvedBy     string              `json:"resolved_by,omitempty"`
	At             time.Time           `json:"at"`
}

// NewPayload describes an event.
func NewPayload(ev Event) Payload {
	a := ev.Alert
	v := a.Value
	if len(v) == 0 {
		v = json.RawMessage("{}")
	}
	return Payload{
		Event: ev.Event, ID: a.ID, Kind: a.Kind, Severity: a.Severity, State: a.State, Message: a.Message,
		ChannelID: a.ChannelID, Slot: a.Slot, Channel: a.ChannelName, Performer: a.Performer,
		ReceiverID: a.ReceiverID, Receiver: a.ReceiverName, Values: v, OpenedAt: a.OpenedAt,
		AcknowledgedAt: a.AcknowledgedAt, AcknowledgedBy: a.AcknowledgedByName,
		ResolvedAt: a.ResolvedAt, ResolvedBy: a.ResolvedBy, At: ev.At,
	}
}

// Webhook posts each event as signed JSON to one endpoint.
type Webhook struct {
	hook   model.Webhook
	client *http.Client
}

// NewWebhook returns the sink of one webhook row.
func NewWebhook(w model.Webhook, client *http.Client) *Webhook {
	if client == nil {
		client = &http.Client{}
	}
	return &Webhook{hook: w, client: client}
}

// Kind implements Sink.
func (w *Webhook) Kind() string { return "webhook" }

// Target is the URL without user information or query (they may hold
// secrets).
func (w *Webhook) Target() string {
	u, err := url.Parse(w.hook.URL)
	if err != nil {
		return "webhook " + fmt.Sprint(w.hook.ID)
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// Wants implements Sink.
func (w *Webhook) Wants(ev Event) bool { return w.hook.Wants(ev.Alert.Kind) }

// Deliver POSTs the event; a 2xx answer is success, a 4xx other than 408
// and 429 is not retried.
func (w *Webhook) Deliver(ctx context.Context, ev Event) error {
	body, err := json.Marshal(NewPayload(ev))
	if err != nil {
		return permanent{fmt.Errorf("encode webhook body: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hook.URL, bytes.NewReader(body))
	if err != nil {
		return permanent{fmt.Errorf("webhook request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Micboard")
	req.Header.Set("X-Micboard-Event", string(ev.Event))
	req.Header.Set(SignatureHeader, Sign(w.hook.Secret, body))
	res, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("post webhook: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != http.StatusRequestTimeout && res.StatusCode != http.StatusTooManyRequests:
		return permanent{fmt.Errorf("webhook answered %s", res.Status)}
	}
	return fmt.Errorf("webhook answered %s", res.Status)
}
