package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/store"
)

// Session values of a login.
const (
	sessUser   = "uid"   // the user's id
	sessEpoch  = "epoch" // the user's session epoch at login
	sessIssued = "iat"   // login time, unix seconds: the absolute expiry counts from it
	sessSeen   = "seen"  // last request, unix seconds: the idle expiry counts from it
)

// seenEvery: the cookie is rewritten at most this often to move "seen"
// forward, not on every request.
const seenEvery = time.Minute

// userKey is where authenticate leaves the logged-in user in the context.
const userKey = "micboard.user"

// currentUser is the logged-in user of the request, or nil.
func currentUser(c echo.Context) *model.User {
	u, _ := c.Get(userKey).(*model.User)
	return u
}

// authenticate reads the login cookie and, when it holds a live session,
// puts its user in the context. The user is read from the database on
// every request, so a disabled user, a changed password (both bump the
// user's session epoch) or a changed role takes effect at once. A session
// that has ended is deleted from the browser.
func (s *Server) authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if s.store == nil || s.routeName(c) == RouteStatic || bearerAuthenticated(c) {
				return next(c)
			}
			if _, err := c.Cookie(SessionName); err != nil {
				return next(c) // no cookie: anonymous
			}
			sess, err := s.session(c)
			if err != nil {
				return next(c)
			}
			u, err := s.sessionUser(c.Request().Context(), sess)
			if err != nil {
				if s.needsLogin(c) {
					return err
				}
				return next(c) // a page anyone may see needs no user
			}
			if u == nil {
				if !sess.IsNew {
					s.endSession(c, sess)
				}
				return next(c)
			}
			c.Set(userKey, u)
			if now := s.now(); now.Sub(time.Unix(int64Value(sess, sessSeen), 0)) >= seenEvery {
				sess.Values[sessSeen] = now.Unix()
				if err := sess.Save(c.Request(), c.Response()); err != nil {
					return err
				}
			}
			return next(c)
		}
	}
}

// needsLogin reports a route that only a logged-in user may reach.
func (s *Server) needsLogin(c echo.Context) bool {
	switch routeAccess[s.routeName(c)] {
	case accessPublic, accessKiosk, accessNone:
		return false
	case accessBoard:
		return !s.cfg.PublicBoard
	}
	return true
}

// sessionUser returns the user of a live session, or nil when the session
// is empty, expired, or no longer matches its user.
func (s *Server) sessionUser(ctx context.Context, sess *sessions.Session) (*model.User, error) {
	id := int64Value(sess, sessUser)
	if id <= 0 {
		return nil, nil
	}
	now := s.now()
	issued, seen := time.Unix(int64Value(sess, sessIssued), 0), time.Unix(int64Value(sess, sessSeen), 0)
	if now.Sub(issued) >= s.cfg.SessionMaxAge || now.Sub(seen) >= s.cfg.SessionIdle {
		return nil, nil
	}
	u, err := s.loginUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !u.Active || u.SessionEpoch != int64Value(sess, sessEpoch) || !u.Role.Valid() {
		return nil, nil
	}
	return u, nil
}

// loginUser loads a session's user; through a database outage it answers
// from the last good lookup, so people keep their board.
func (s *Server) loginUser(ctx context.Context, id int64) (*model.User, error) {
	return s.lastGood.user.answer(ctx, s, "load session user", strconv.FormatInt(id, 10), func(ctx context.Context) (*model.User, error) {
		return s.store.Users.Get(ctx, id)
	})
}

func int64Value(sess *sessions.Session, key string) int64 {
	switch v := sess.Values[key].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

// startSession logs u in: a new session (nothing of an earlier one is
// kept), and a new CSRF token on the next page.
func (s *Server) startSession(c echo.Context, u *model.User) error {
	sess, err := s.session(c)
	if err != nil {
		return err
	}
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	now := s.now().Unix()
	sess.Values[sessUser] = u.ID
	sess.Values[sessEpoch] = u.SessionEpoch
	sess.Values[sessIssued] = now
	sess.Values[sessSeen] = now
	sess.Options.MaxAge = int(s.cfg.SessionMaxAge / time.Second)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	s.dropCSRFCookie(c)
	c.Set(userKey, u)
	return nil
}

// endSession deletes the login cookie.
func (s *Server) endSession(c echo.Context, sess *sessions.Session) {
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	sess.Options.MaxAge = -1
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		s.log.WarnContext(c.Request().Context(), "delete session cookie", "err", err)
	}
}

// safeNext returns where to send a user after login: next when it is a
// path on this server, else "". "//evil", "/\evil", "https://evil" and
// anything with control characters would leave the site (or be read so
// by some browser) and are refused.
func safeNext(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' {
		return ""
	}
	if strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	if p := u.EscapedPath(); p == "/login" || p == "/logout" || p == "/setup" {
		return "" // no loop back into the forms
	}
	return next
}

// redirectAfterLogin sends the user on to next, or to the board.
func (s *Server) redirectAfterLogin(c echo.Context, next string) error {
	if to := safeNext(next); to != "" {
		return c.Redirect(http.StatusSeeOther, to)
	}
	return s.redirect(c, RouteHome)
}
