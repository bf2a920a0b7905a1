package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// The JSON API under /api/v1 lives beside the pages, one action per
// api_<resource>_<action>.go file; this file holds what they share: the
// caller, the services, reading a JSON body and query parameters, and the
// list envelope. Errors are answered by handleError (errors.go) like every
// other error, in the API's {"error":{code,message,field}} shape.

// apiBase is the path every API route starts with.
const apiBase = "/api/v1"

// apiServices are the timed services the API calls, built on first use.
type apiServices struct {
	once        sync.Once
	devices     *service.TimedDevices
	channels    *service.TimedChannels
	connections *service.TimedConnections
	locations   *service.TimedLocations
	discovery   *service.TimedDiscovery
	events      *apiEventHub
}

func (s *Server) api() *apiServices {
	a := &s.apiSvc
	a.once.Do(func() {
		a.devices = service.TimeDevices(service.NewDevices(s.store), s.metrics)
		a.channels = service.TimeChannels(service.NewChannels(s.store), s.metrics)
		a.connections = service.TimeConnections(service.NewConnections(s.store), s.metrics)
		a.locations = service.TimeLocations(service.NewLocations(s.store), s.metrics)
		a.discovery = service.TimeDiscovery(service.NewDiscovery(s.store), s.metrics)
		a.events = &apiEventHub{s: s}
	})
	return a
}

// actorKey is where an authenticator that is not the session (an API
// token) leaves the service.Actor the audit log names.
const actorKey = "micboard.actor"

// callerActor is who the audit log says made a change: the actor an
// authenticator left (an API token's name), else the session's user. The
// caller's role is checked before a handler runs, by authorize and
// routeAccess, from currentUser: whatever authenticates a request (the
// session cookie, or a Bearer token) sets the user there and nothing in
// the API handlers changes.
func callerActor(c echo.Context) service.Actor {
	if a, ok := c.Get(actorKey).(service.Actor); ok {
		return a
	}
	return service.UserActor(currentUser(c))
}

// apiFieldError is a request the API could not take as sent: a bad query
// parameter or body field, named so the caller can fix it.
type apiFieldError struct {
	status int
	field  string
	msg    string
}

func (e *apiFieldError) Error() string   { return e.msg }
func (e *apiFieldError) HTTPStatus() int { return e.status }

// badField is a 400 naming the field that was wrong.
func badField(field, format string, args ...any) error {
	return &apiFieldError{status: http.StatusBadRequest, field: field, msg: field + ": " + fmt.Sprintf(format, args...)}
}

// invalidField is a 422: the request was well formed, but the field names
// something that does not exist or breaks a rule.
func invalidField(field, format string, args ...any) error {
	return &apiFieldError{status: http.StatusUnprocessableEntity, field: field, msg: field + ": " + fmt.Sprintf(format, args...)}
}

// apiFieldNames renames a service's validation fields to the API's JSON
// names ("channel" → "channel_id"), so the error names what the caller sent.
func apiFieldNames(err error, names map[string]string) error {
	var ve *service.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	fields := make(map[string]string, len(ve.Fields))
	for k, v := range ve.Fields {
		if n, ok := names[k]; ok {
			k = n
		}
		fields[k] = v
	}
	return &service.ValidationError{Fields: fields}
}

// mustExist turns "the referenced row does not exist" into a 422 on field.
func mustExist(err error, field string) error {
	if errors.Is(err, store.ErrNotFound) {
		return invalidField(field, "nothing with that id exists")
	}
	return err
}

// conflict is a 409 saying why the change was refused.
func conflict(format string, args ...any) error {
	return &apiFieldError{status: http.StatusConflict, msg: fmt.Sprintf(format, args...)}
}

// bindJSON reads the request body into dst, refusing anything that is not
// one JSON object of dst's fields: a syntax error, a field of the wrong
// type or an unknown field is a 400 naming it, and nothing is changed.
func bindJSON(c echo.Context, dst any) error {
	_, err := bindJSONSent(c, dst)
	return err
}

// bindJSONSent is bindJSON that also tells which fields were sent, so a
// PATCH can tell "set to null" from "left out".
func bindJSONSent(c echo.Context, dst any) (map[string]json.RawMessage, error) {
	r := c.Request()
	if ct := r.Header.Get(echo.HeaderContentType); !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return nil, badField("body", "send a JSON object with Content-Type: application/json")
	}
	data, err := io.ReadAll(r.Body)
	var tooLong *http.MaxBytesError
	if errors.As(err, &tooLong) {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if err := decodeStrict(data, dst); err != nil {
		return nil, err
	}
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(data, &sent); err != nil {
		return nil, badField("body", "send a JSON object")
	}
	return sent, nil
}

func decodeStrict(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		fe  *apiFieldError
	)
	switch {
	case err == nil:
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return badField("body", "send one JSON object and nothing after it")
		}
		return nil
	case errors.Is(err, io.EOF):
		return badField("body", "the request body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badField("body", "the JSON body ends too early")
	case errors.As(err, &syn):
		return badField("body", "not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &fe):
		return fe // a field's own decoder named what was wrong (alert_limits)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badField("body", "send a JSON object")
		}
		return badField(typ.Field, "must be %s", jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return badField(truncate(name, maxEchoedInput), "no such field")
	}
	return badField("body", "%s", err.Error())
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "bool":
		return "true or false"
	case k == "string":
		return "a string"
	case k == "slice":
		return "a list"
	}
	return "an object"
}

// queryBool reads an optional true/false parameter.
func apiQueryBool(c echo.Context, name string) (*bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, badField(name, "must be true or false, not %s", quoteInput(v))
	}
	return &b, nil
}

// queryID reads an optional positive id parameter (0 when absent).
func apiQueryID(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, badField(name, "must be a positive id, not %s", quoteInput(v))
	}
	return id, nil
}

// queryInt reads an optional whole number in [lo, hi], def when absent.
func apiQueryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badField(name, "must be a whole number from %d to %d, not %s", lo, hi, quoteInput(v))
	}
	return n, nil
}

// queryDuration reads an optional duration ("30s", "2m") in [lo, hi].
func apiQueryDuration(c echo.Context, name string, def, lo, hi time.Duration) (time.Duration, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, badField(name, "must be a duration from %s to %s such as 30s, not %s", lo, hi, quoteInput(v))
	}
	return d, nil
}

// apiID reads the {id} of the path; anything but a positive number names
// nothing there is (404).
func apiID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("id %s: %w", quoteInput(c.Param("id")), store.ErrNotFound)
	}
	return id, nil
}

// apiList is the envelope of every list: the items, and the cursor of the
// next page (null on the last page, and for lists that are not paged).
type apiList[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func listOf[T any](items []T, next string) apiList[T] {
	if items == nil {
		items = []T{}
	}
	l := apiList[T]{Data: items}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}

// Paging: limit is the page size; the cursor names the next page and the
// size it was cut at, so paging goes on the same way whatever the client
// sends as limit meanwhile.
const (
	apiPageDefault = 50
	apiPageMax     = 500
)

type apiCursor struct {
	Page int `json:"p"`
	Size int `json:"s"`
}

// readPage reads limit and cursor into a store page.
func readPage(c echo.Context) (store.Page, error) {
	size, err := apiQueryInt(c, "limit", apiPageDefault, 1, apiPageMax)
	if err != nil {
		return store.Page{}, err
	}
	p := store.Page{Number: 1, Size: size}
	if v := c.QueryParam("cursor"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		var cur apiCursor
		if err == nil {
			err = json.Unmarshal(raw, &cur)
		}
		if err != nil || cur.Page < 1 || cur.Size < 1 || cur.Size > apiPageMax {
			return store.Page{}, badField("cursor", "not a cursor this API gave out")
		}
		p = store.Page{Number: cur.Page, Size: cur.Size}
	}
	return p, nil
}

// nextCursor is the cursor after page p, or "" when p held the last rows.
func nextCursor(p store.Page, got int) string {
	if p.Size <= 0 || got < p.Size {
		return ""
	}
	raw, _ := json.Marshal(apiCursor{Page: p.Number + 1, Size: p.Size})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// readOrder reads "order" as a key of allowed, "-key" for descending.
func readOrder(c echo.Context, allowed ...string) (key string, desc bool, err error) {
	v := c.QueryParam("order")
	if v == "" {
		return "", false, nil
	}
	key, desc = strings.TrimPrefix(v, "-"), strings.HasPrefix(v, "-")
	for _, a := range allowed {
		if a == key {
			return key, desc, nil
		}
	}
	return "", false, badField("order", "must be one of %s (a leading - sorts descending), not %s",
		strings.Join(allowed, ", "), quoteInput(v))
}

// readDeviceType reads an optional device family.
func readDeviceType(c echo.Context, name string) (model.DeviceType, error) {
	v := model.DeviceType(c.QueryParam(name))
	if v == "" || v.Valid() {
		return v, nil
	}
	names := make([]string, len(model.DeviceTypes))
	for i, t := range model.DeviceTypes {
		names[i] = string(t)
	}
	return "", badField(name, "must be one of %s, not %s", strings.Join(names, ", "), quoteInput(string(v)))
}
