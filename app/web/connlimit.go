package web

import (
	"net"
	"sync"
	"time"

	"micboard/app/web/middleware"
)

// refusal is what a client over its connection cap reads before the
// connection closes, so a browser shows why instead of a reset.
const refusal = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nConnection: close\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 32\r\n\r\nToo many connections from you.\r\n"

// LimitPerClient caps the connections one client address (an IPv6 /64
// counting as one) holds open at once, so one client cannot take every
// socket and goroutine of the server by opening connections it never uses.
// Peers for which exempt is true (trusted reverse proxies, which carry
// everyone's connections) are not counted.
func LimitPerClient(ln net.Listener, limit int, exempt func(net.IP) bool) net.Listener {
	return &perClientListener{Listener: ln, limit: limit, exempt: exempt, open: map[string]int{}}
}

type perClientListener struct {
	net.Listener
	limit  int
	exempt func(net.IP) bool

	mu   sync.Mutex
	open map[string]int
}

// Accept returns the next connection within its client's cap; connections
// over it are answered 429 and closed here.
func (l *perClientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host, _, err := net.SplitHostPort(c.RemoteAddr().String())
		if err != nil {
			return c, nil // not an IP connection: nothing to count by
		}
		if ip := net.ParseIP(host); ip != nil && l.exempt != nil && l.exempt(ip) {
			return c, nil
		}
		key := middleware.ClientKey(host)
		l.mu.Lock()
		if l.open[key] >= l.limit {
			l.mu.Unlock()
			refuse(c)
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(key) }}, nil
	}
}

func (l *perClientListener) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

// refuse answers and closes c without waiting on a client that does not
// read: the accept loop must keep going.
func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write([]byte(refusal))
	_ = c.Close()
}

// countedConn gives its place back once, however often it is closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// NetConn returns the connection underneath, for socket options.
func (c *countedConn) NetConn() net.Conn { return c.Conn }
