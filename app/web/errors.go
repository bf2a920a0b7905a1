package web

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/web/htmx"
	"micboard/app/web/middleware"
)

// StatusError is implemented by errors that know their HTTP status, such as
// validation errors that carry a message a person can act on.
type StatusError interface {
	error
	HTTPStatus() int
}

// domainErrors maps the domain errors handlers return to HTTP statuses:
// the one place where that mapping lives. Add the store and service errors
// here as they appear (store.ErrNotFound → 404, service.ErrAlreadyAssigned
// → 409, ...). Their messages are shown to the user, so they must be fit for that.
var domainErrors = []struct {
	err    error
	status int
	code   string // the API's error code
}{
	{service.ErrKioskRevoked, http.StatusGone, "revoked"},
	{service.ErrAlreadyAssigned, http.StatusConflict, "already_assigned"},
	{service.ErrLocationInUse, http.StatusConflict, "location_in_use"},
	{service.ErrBadLogin, http.StatusUnauthorized, "bad_login"},
	{service.ErrSetupDone, http.StatusConflict, "setup_done"},
	{service.ErrLastAdmin, http.StatusConflict, "last_admin"},
	{store.ErrNotFound, http.StatusNotFound, "not_found"},
	{store.ErrAlreadyExists, http.StatusConflict, "already_exists"},
	{store.ErrConflict, http.StatusConflict, "conflict"},
	{store.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
	{errStoreUnavailable, http.StatusServiceUnavailable, "unavailable"},
}

// errStoreUnavailable: the database does not answer and the page has no
// remembered answer to fall back on (see lastgood.go).
var errStoreUnavailable = errors.New("the database is not answering, and this page needs it; " +
	"the live board keeps running, try again in a moment")

// Echoed input is cut to this many characters: an error message quotes
// what was wrong, not a 100 KB value sent back to its sender.
const (
	maxEchoedInput   = 64
	maxShownErrorLen = 500
)

// quoteInput quotes a value a user sent, for an error message: cut to
// maxEchoedInput characters, with "…" when it was longer.
func quoteInput(v string) string {
	return strconv.Quote(truncate(v, maxEchoedInput))
}

// capQuoted cuts every Go-quoted value in msg (as %q writes it, the way
// parsers quote the input they reject) to maxEchoedInput characters.
func capQuoted(msg string) string {
	if len(msg) <= maxEchoedInput {
		return msg
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:i])
		q, err := strconv.QuotedPrefix(msg[i:])
		if err != nil {
			b.WriteByte('"') // a lone quote mark, not a quoted value
			msg = msg[i+1:]
			continue
		}
		if v, err := strconv.Unquote(q); err == nil && utf8.RuneCountInString(v) > maxEchoedInput {
			b.WriteString(quoteInput(v))
		} else {
			b.WriteString(q)
		}
		msg = msg[i+len(q):]
	}
}

// truncate cuts s to n characters (not bytes, so no rune is split).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// errorView is the data of the error page and the error toast.
type errorView struct {
	Status    int
	Title     string
	Message   string
	RequestID string
}

// statusOf picks the status for err and the message the user may see;
// details of a 5xx are never shown, only logged. A message is capped in
// length whatever produced it, in case it quotes what the client sent.
func statusOf(err error) (int, string) {
	status, msg := statusAndMessage(err)
	return status, truncate(capQuoted(msg), maxShownErrorLen)
}

func statusAndMessage(err error) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := friendly(he.Code)
		if m, ok := he.Message.(string); ok && m != "" && m != http.StatusText(he.Code) && he.Code < 500 {
			msg = m
		}
		return he.Code, msg
	}
	var se StatusError
	if errors.As(err, &se) {
		if se.HTTPStatus() >= 500 {
			return se.HTTPStatus(), friendly(se.HTTPStatus())
		}
		return se.HTTPStatus(), se.Error()
	}
	// A validation error lists what to fix, field by field.
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		return http.StatusUnprocessableEntity, ve.Error()
	}
	for _, d := range domainErrors {
		if errors.Is(err, d.err) {
			return d.status, d.err.Error()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, friendly(http.StatusServiceUnavailable)
	}
	return http.StatusInternalServerError, friendly(http.StatusInternalServerError)
}

// friendlyMessages say what a status means to the person who got it.
var friendlyMessages = map[int]string{
	http.StatusBadRequest:            "The request could not be understood. Check what you entered and try again.",
	http.StatusUnauthorized:          "Sign in to see this page.",
	http.StatusForbidden:             "Your account may not do this.",
	http.StatusNotFound:              "There is no page at this address. The link may be mistyped, or the page has moved.",
	http.StatusMethodNotAllowed:      "This address does not take that kind of request.",
	http.StatusRequestEntityTooLarge: "That is more data than Micboard accepts in one request.",
	http.StatusTooManyRequests:       "Too many requests. Wait a moment, then try again.",
	http.StatusInternalServerError:   "Something went wrong on our side. It has been logged.",
	http.StatusServiceUnavailable:    "Micboard cannot answer right now. Try again in a moment.",
}

func friendly(status int) string {
	if m, ok := friendlyMessages[status]; ok {
		return m
	}
	return http.StatusText(status)
}

// handleError is Echo's HTTPErrorHandler: it answers every error a handler
// returns in the form the client asked for: an error page for a browser, a
// toast for htmx, JSON for the API and probes, plain text otherwise. HEAD
// gets the same headers; net/http drops the body.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	req := c.Request()
	if errors.Is(err, context.Canceled) && req.Context().Err() != nil {
		return // the client went away; nobody is left to answer
	}
	status, msg := statusOf(err)
	if status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "5")
	}
	ev := errorView{
		Status:    status,
		Title:     http.StatusText(status),
		Message:   msg,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
	}
	var werr error
	switch {
	case strings.HasPrefix(req.URL.Path, apiPrefix):
		werr = writeAPIError(c, err, status, msg)
	case wantsJSON(req):
		werr = c.JSON(status, map[string]any{"error": msg, "status": status})
	case htmx.GetRequest(c).Partial():
		// The layout's #toasts region shows it; the meta htmx-config lets
		// htmx swap 4xx/5xx answers.
		werr = htmx.Response{Retarget: "#toasts", Reswap: "beforeend"}.Apply(c)
		if werr == nil {
			werr = s.partial(c, status, PartialErrorToast, ev)
		}
	case strings.Contains(req.Header.Get(echo.HeaderAccept), echo.MIMETextHTML):
		werr = s.page(c, status, PageError, View{Title: ev.Title, Data: ev})
	default:
		werr = c.String(status, msg)
	}
	if werr != nil {
		path, secrets := middleware.RedactPath(req.URL.RequestURI())
		s.log.ErrorContext(req.Context(), "write error response", "status", status, "path", path,
			"err", middleware.Scrub(werr.Error(), secrets), "cause", middleware.Scrub(err.Error(), secrets))
		if !c.Response().Committed {
			_ = c.String(http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
		}
	}
}

// apiError is the body of every API error.
type apiError struct {
	Error apiErrorDetail `json:"error"`
}

// apiErrorDetail says what went wrong: a code a program can test, a message
// a person can act on, and the field of the request that was wrong ("" when
// it was not one field).
type apiErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// apiMessages replace the pages' wording where an API caller needs other
// words.
var apiMessages = map[int]string{
	http.StatusUnauthorized: "Send a session cookie or an Authorization: Bearer token.",
	http.StatusForbidden:    "Your role may not do this.",
	http.StatusNotFound:     "There is nothing at this address.",
}

// statusCodes name the API's error code for an error no table entry names.
var statusCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusGone:                  "gone",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnprocessableEntity:   "invalid",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusInternalServerError:   "internal",
	http.StatusServiceUnavailable:    "unavailable",
}

// apiErrorCode picks the API's code for err, and the field it names, in
// the order statusAndMessage picks the status.
func apiErrorCode(err error, status int) (code, field string) {
	code = statusCodes[status]
	if code == "" {
		code = "error"
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return code, ""
	}
	var fe *apiFieldError
	if errors.As(err, &fe) {
		return code, fe.field
	}
	var se StatusError
	if errors.As(err, &se) {
		return code, ""
	}
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		keys := make([]string, 0, len(ve.Fields))
		for k := range ve.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) > 0 {
			field = keys[0]
		}
		return "invalid", field
	}
	for _, d := range domainErrors {
		if errors.Is(err, d.err) {
			return d.code, ""
		}
	}
	return code, ""
}

// writeAPIError answers an API call's error as JSON.
func writeAPIError(c echo.Context, err error, status int, msg string) error {
	code, field := apiErrorCode(err, status)
	if m, ok := apiMessages[status]; ok && msg == friendly(status) {
		msg = m
	}
	if status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="micboard"`)
	}
	return c.JSON(status, apiError{Error: apiErrorDetail{Code: code, Message: msg, Field: field}})
}

// wantsJSON reports API calls, probes and clients that prefer JSON to HTML.
func wantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		return true
	}
	accept := r.Header.Get(echo.HeaderAccept)
	return strings.Contains(accept, echo.MIMEApplicationJSON) && !strings.Contains(accept, echo.MIMETextHTML)
}
