package web

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// SessionName is the cookie that carries a login.
const SessionName = "micboard_session"

// sessionMaxAge keeps a login for a week (a festival run) unless
// MICBOARD_SESSION_MAX_AGE says otherwise.
const sessionMaxAge = 7 * 24 * 60 * 60

// NewSessionStore returns the cookie store for logins. Cookies are signed and
// encrypted with keys derived from secret; an empty secret gets random keys,
// so logins do not survive a restart (logged as a warning). gorilla/sessions
// defaults to SameSite=None without HttpOnly: here it is Lax and HttpOnly,
// and Secure whenever the request came over HTTPS.
func NewSessionStore(secret string, log *slog.Logger) (sessions.Store, error) {
	return newSessionStore(secret, log, sessionMaxAge)
}

// newSessionStore is NewSessionStore with the cookie's lifetime in seconds.
func newSessionStore(secret string, log *slog.Logger, maxAge int) (sessions.Store, error) {
	var hashKey, blockKey []byte
	if secret == "" {
		log.Warn("MICBOARD_SESSION_SECRET is empty: using a random key; logins will not survive a restart")
		hashKey = securecookie.GenerateRandomKey(32)
		blockKey = securecookie.GenerateRandomKey(32)
		if hashKey == nil || blockKey == nil {
			return nil, fmt.Errorf("generate session keys: no randomness available")
		}
	} else {
		var err error
		if hashKey, err = hkdf.Key(sha256.New, []byte(secret), nil, "micboard session signing", 32); err != nil {
			return nil, fmt.Errorf("derive session signing key: %w", err)
		}
		if blockKey, err = hkdf.Key(sha256.New, []byte(secret), nil, "micboard session encryption", 32); err != nil {
			return nil, fmt.Errorf("derive session encryption key: %w", err)
		}
	}
	cs := sessions.NewCookieStore(hashKey, blockKey)
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(maxAge)
	return &sessionStore{cookies: cs}, nil
}

// sessionStore wraps the cookie store to decide Secure per request.
type sessionStore struct {
	cookies *sessions.CookieStore
}

// Get returns the request's session, cached for the rest of the request.
func (s *sessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New returns the session read from the request's cookie, or a new one.
func (s *sessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess, err := s.cookies.New(r, name)
	if sess != nil {
		sess.Options.Secure = isHTTPS(r)
	}
	return sess, err
}

// Save writes the session cookie.
func (s *sessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	return s.cookies.Save(r, w, sess)
}

// isHTTPS reports TLS on this hop or at the reverse proxy in front of us.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get(echo.HeaderXForwardedProto) == "https"
}

// session returns the login session of the request.
func (s *Server) session(c echo.Context) (*sessions.Session, error) {
	sess, err := s.sessions.Get(c.Request(), SessionName)
	if err != nil {
		// A cookie from an older key cannot be decoded: start afresh.
		if sess != nil && sess.IsNew {
			return sess, nil
		}
		return nil, fmt.Errorf("read session: %w", err)
	}
	return sess, nil
}
