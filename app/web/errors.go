package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/web/htmx"
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
}{
	{service.ErrKioskRevoked, http.StatusGone},
	{service.ErrAlreadyAssigned, http.StatusConflict},
	{service.ErrLocationInUse, http.StatusConflict},
	{store.ErrNotFound, http.StatusNotFound},
	{store.ErrAlreadyExists, http.StatusConflict},
	{store.ErrConflict, http.StatusConflict},
	{store.ErrInvalid, http.StatusUnprocessableEntity},
}

// errorView is the data of the error page and the error toast.
type errorView struct {
	Status    int
	Title     string
	Message   string
	RequestID string
}

// statusOf picks the status for err and the message the user may see;
// details of a 5xx are never shown, only logged.
func statusOf(err error) (int, string) {
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
// toast for htmx, JSON for the API and probes, plain text otherwise.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	req := c.Request()
	if errors.Is(err, context.Canceled) && req.Context().Err() != nil {
		return // the client went away; nobody is left to answer
	}
	status, msg := statusOf(err)
	ev := errorView{
		Status:    status,
		Title:     http.StatusText(status),
		Message:   msg,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
	}
	var werr error
	switch {
	case req.Method == http.MethodHead:
		werr = c.NoContent(status)
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
		s.log.ErrorContext(req.Context(), "write error response", "status", status, "err", werr, "cause", err)
		if !c.Response().Committed {
			_ = c.String(http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
		}
	}
}

// wantsJSON reports API calls, probes and clients that prefer JSON to HTML.
func wantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		return true
	}
	accept := r.Header.Get(echo.HeaderAccept)
	return strings.Contains(accept, echo.MIMEApplicationJSON) && !strings.Contains(accept, echo.MIMETextHTML)
}
