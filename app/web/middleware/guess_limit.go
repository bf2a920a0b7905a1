package middleware

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// GuessLimit slows down guessing the secret in a URL (a wall display's
// token): every answer failed says is a wrong guess costs the client
// address one of burst tokens, refilled one per every. A client out of
// tokens gets 429 with Retry-After before its guess is even looked up, so
// guessing runs at the refill rate at best; right guesses (the displays
// themselves) cost nothing.
func GuessLimit(every time.Duration, burst int, failed func(c echo.Context, err error) bool) echo.MiddlewareFunc {
	g := &guessLimiter{every: every, burst: burst, clients: map[string]*guesser{}, now: time.Now}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := ClientKey(c.RealIP())
			if wait := g.wait(key); wait > 0 {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				return echo.NewHTTPError(http.StatusTooManyRequests)
			}
			err := next(c)
			if failed(c, err) {
				g.fail(key)
			}
			return err
		}
	}
}

type guessLimiter struct {
	every time.Duration
	burst int
	now   func() time.Time

	mu        sync.Mutex
	clients   map[string]*guesser
	lastSweep time.Time
}

type guesser struct {
	lim  *rate.Limiter
	seen time.Time
}

// wait returns how long the client must wait before its next guess (0: it
// may guess now).
func (g *guessLimiter) wait(key string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.clients[key]
	if !ok {
		return 0
	}
	short := 1 - c.lim.TokensAt(g.now())
	if short <= 0 {
		return 0
	}
	return time.Duration(short * float64(g.every))
}

// fail records a wrong guess.
func (g *guessLimiter) fail(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	c, ok := g.clients[key]
	if !ok {
		c = &guesser{lim: rate.NewLimiter(rate.Every(g.every), g.burst)}
		g.clients[key] = c
	}
	c.seen = now
	c.lim.AllowN(now, 1)
	g.sweep(now)
}

// sweep forgets clients whose tokens have all come back, so the map holds
// only recent guessers.
func (g *guessLimiter) sweep(now time.Time) {
	full := g.every * time.Duration(g.burst)
	if now.Sub(g.lastSweep) < min(full, time.Minute) {
		return
	}
	g.lastSweep = now
	for k, c := range g.clients {
		if now.Sub(c.seen) > full {
			delete(g.clients, k)
		}
	}
}

// ClientKey is the address a limit applies to: an IPv4 address, or the /64
// of an IPv6 one, since one IPv6 client holds a whole /64.
func ClientKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
