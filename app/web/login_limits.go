package web

import (
	"context"
	"strings"
	"time"

	"micboard/app/cache"
	"micboard/app/ratelimit"
	"micboard/app/web/middleware"
)

// Failed logins allowed before the form refuses to check passwords for a
// while: per username (someone guessing one account's password) and per
// client address (someone trying many accounts). A success clears the
// username's count.
const (
	loginFailuresPerUser = 5
	loginFailuresPerAddr = 20
	loginFailureWindow   = 15 * time.Minute
)

// loginLimits counts failed logins, in Redis when the cache is there (so
// every instance sees every failure), else in this process.
type loginLimits struct {
	byUser *ratelimit.Limiter
	byAddr *ratelimit.Limiter
}

func newLoginLimits(c *cache.Cache) (loginLimits, error) {
	st, err := ratelimit.NewStore(c.Redis())
	if err != nil {
		return loginLimits{}, err
	}
	return loginLimits{
		byUser: st.New("login-user", loginFailuresPerUser, loginFailureWindow),
		byAddr: st.New("login-addr", loginFailuresPerAddr, loginFailureWindow),
	}, nil
}

func userLimitKey(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

// blocked tells how long the client must wait before it may try this
// username again (0: it may try now).
func (l loginLimits) blocked(ctx context.Context, username, addr string) (time.Duration, error) {
	var wait time.Duration
	u, err := l.byUser.Peek(ctx, userLimitKey(username))
	if err != nil {
		return 0, err
	}
	if u.Blocked {
		wait = u.RetryAfter
	}
	a, err := l.byAddr.Peek(ctx, middleware.ClientKey(addr))
	if err != nil {
		return 0, err
	}
	if a.Blocked {
		wait = max(wait, a.RetryAfter)
	}
	return wait, nil
}

// failed counts one failed login against the username and the address.
func (l loginLimits) failed(ctx context.Context, username, addr string) error {
	if _, err := l.byUser.Hit(ctx, userLimitKey(username)); err != nil {
		return err
	}
	_, err := l.byAddr.Hit(ctx, middleware.ClientKey(addr))
	return err
}

// succeeded forgets the username's failures.
func (l loginLimits) succeeded(ctx context.Context, username string) error {
	return l.byUser.Reset(ctx, userLimitKey(username))
}
