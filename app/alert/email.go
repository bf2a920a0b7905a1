package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"micboard/app/store"
)

// Email mails each event to the users who opted in, over SMTP, minding
// each one's quiet hours (model.DeliverInQuietHours).
type Email struct {
	server *url.URL
	from   mail.Address
	st     *store.Store
	// Zone is the time zone of quiet hours for users who set none (nil:
	// the server's).
	Zone *time.Location
}

// NewEmail returns the mail sink: server is smtp://[user:pass@]host[:port]
// (port 25 by default; STARTTLS when the server offers it), from the sender.
func NewEmail(serverURL, from string, st *store.Store) (*Email, error) {
	u, err := url.Parse(serverURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("mail server %q: want smtp://[user:password@]host[:port]", serverURL)
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail sender %q: %w", from, err)
	}
	return &Email{server: u, from: *addr, st: st}, nil
}

// Kind implements Sink.
func (m *Email) Kind() string { return "email" }

// Target is the mail server, without credentials.
func (m *Email) Target() string { return m.server.Host }

// Wants takes opened alerts and their resolution; an acknowledgement
// concerns the people at the board.
func (m *Email) Wants(ev Event) bool { return ev.Event != "acknowledged" }

// Deliver sends one message to every recipient.
func (m *Email) Deliver(ctx context.Context, ev Event) error {
	_, err := m.DeliverNoted(ctx, ev)
	return err
}

// DeliverNoted sends one message to every recipient not in their quiet
// hours at the event's time (unless the alert is critical) and notes who
// was skipped, for the delivery record.
func (m *Email) DeliverNoted(ctx context.Context, ev Event) (string, error) {
	subs, err := m.st.AlertSubscriptions.Subscribers(ctx)
	if err != nil {
		return "", fmt.Errorf("mail recipients: %w", err)
	}
	var to, quiet []string
	for _, s := range subs {
		if s.Wants(ev.Alert.Severity, ev.At, m.Zone) {
			to = append(to, s.Email)
		} else {
			q, _ := s.Quiet()
			quiet = append(quiet, fmt.Sprintf("%s (%s %s)", s.Email, q, s.Location(m.Zone)))
		}
	}
	var note string
	if len(quiet) > 0 {
		note = "skipped in quiet hours: " + strings.Join(quiet, ", ")
	}
	if len(to) == 0 {
		return note, nil
	}
	return note, m.send(ctx, to, m.message(ev, to))
}

// SendTo mails one event to the given addresses alone (an escalation).
func (m *Email) SendTo(ctx context.Context, to []string, ev Event) error {
	return m.send(ctx, to, m.message(ev, to))
}

func (m *Email) message(ev Event, to []string) []byte {
	a := ev.Alert
	subject := fmt.Sprintf("[Micboard] %s: %s", strings.ToUpper(string(ev.Event)), a.Message)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", m.from.String())
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(to, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", ev.At.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <alert-%d-%s-%d@micboard>\r\n", a.ID, ev.Event, ev.At.UnixNano())
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	fmt.Fprintf(&b, "%s\r\n\r\n", a.Message)
	fmt.Fprintf(&b, "Alert:     %d (%s, %s)\r\n", a.ID, a.Kind, a.Severity)
	fmt.Fprintf(&b, "Event:     %s at %s\r\n", ev.Event, ev.At.Format(time.RFC3339))
	if a.Performer != "" {
		fmt.Fprintf(&b, "Performer: %s\r\n", a.Performer)
	}
	if a.ReceiverName != "" {
		fmt.Fprintf(&b, "Receiver:  %s\r\n", a.ReceiverName)
	}
	fmt.Fprintf(&b, "Opened:    %s\r\n", a.OpenedAt.Format(time.RFC3339))
	if a.ResolvedAt != nil {
		fmt.Fprintf(&b, "Resolved:  %s by %s\r\n", a.ResolvedAt.Format(time.RFC3339), a.ResolvedBy)
	}
	// A line of a lone "." would end the message early.
	return bytes.ReplaceAll(b.Bytes(), []byte("\r\n.\r\n"), []byte("\r\n..\r\n"))
}

// send speaks SMTP under ctx's deadline.
func (m *Email) send(ctx context.Context, to []string, msg []byte) error {
	host := m.server.Hostname()
	port := m.server.Port()
	if port == "" {
		port = "25"
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("connect to mail server: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail server greeting: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("mail STARTTLS: %w", err)
		}
	}
	if u := m.server.User; u != nil {
		pass, _ := u.Password()
		if err := c.Auth(smtp.PlainAuth("", u.Username(), pass, host)); err != nil {
			return permanent{fmt.Errorf("mail login: %w", err)}
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	var bad []error
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			bad = append(bad, fmt.Errorf("recipient %s: %w", rcpt, err))
		}
	}
	if len(bad) == len(to) {
		return errors.Join(bad...)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end mail: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("mail quit: %w", err)
	}
	return errors.Join(bad...)
}
