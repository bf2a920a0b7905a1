package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/device"
)

// The OpenAPI 3 document of the API is generated from apiOperations, the
// table below, with the body and answer schemas read off the very Go types
// the handlers encode (api_json.go), so a shape cannot change in one place
// and not the other. TestAPIOpenAPIDescribesEveryRoute holds the table to
// the routes registered in routes.go, and validates the document with
// kin-openapi.

// apiParam is a query parameter of an operation.
type apiParam struct {
	name string
	typ  string // boolean, integer, string
	desc string
}

// apiParamChoices lists the values a query parameter takes, by its name
// (the same in every operation), with what each means: they become the
// schema's enum and end the description. They are read from the device
// registry when the document is built, so a new vendor or family reaches
// the document without an edit here.
var apiParamChoices = map[string]func() []apiChoice{
	"vendor":       vendorCodeChoices,
	"manufacturer": vendorCodeChoices,
	"type":         deviceTypeChoices,
}

// apiChoice is one value a parameter takes.
type apiChoice struct{ value, meaning string }

// vendorCodeChoices lists the registered vendors' codes with their names.
func vendorCodeChoices() []apiChoice {
	var out []apiChoice
	for _, v := range device.AllVendors() {
		out = append(out, apiChoice{v.Code, v.Name})
	}
	return out
}

// deviceTypeChoices lists every registered device type with its family's
// name.
func deviceTypeChoices() []apiChoice {
	var out []apiChoice
	for _, code := range device.DeviceTypes() {
		_, f, _ := device.LookupDeviceType(code)
		out = append(out, apiChoice{code, f.Name})
	}
	return out
}

// schema is the parameter's schema: its type and, with choices, its enum.
func (q apiParam) schema() map[string]any {
	s := map[string]any{"type": q.typ}
	if choices := apiParamChoices[q.name]; choices != nil {
		var enum []string
		for _, c := range choices() {
			enum = append(enum, c.value)
		}
		if len(enum) > 0 {
			s["enum"] = enum
		}
	}
	return s
}

// description is desc followed, with choices, by the values and their
// meanings: "only this device family: ulxd (ULX-D), ...".
func (q apiParam) description() string {
	choices := apiParamChoices[q.name]
	if choices == nil {
		return q.desc
	}
	var parts []string
	for _, c := range choices() {
		if c.meaning == "" || strings.EqualFold(c.meaning, c.value) {
			parts = append(parts, c.value)
		} else {
			parts = append(parts, c.value+" ("+c.meaning+")")
		}
	}
	return q.desc + ": " + strings.Join(parts, ", ")
}

// apiOperation describes one API route.
type apiOperation struct {
	route   string // route name (routes.go)
	summary string
	query   []apiParam
	body    any // request body (a value of its Go type); nil when none
	status  int // success status
	answer  any // success body; nil for 204 and event streams
	stream  bool
}

var (
	pLimit     = apiParam{"limit", "integer", "page size, 1 to 500 (50 when not given)"}
	pCursor    = apiParam{"cursor", "string", "next_cursor of the previous page"}
	pThreshold = apiParam{"threshold", "integer", "battery percent at or under which a transmitter is low (15 when not given)"}
)

// apiOperations lists every route of the API with what it takes and gives.
var apiOperations = []apiOperation{
	{route: RouteAPIOpenAPI, summary: "This document", status: 200, answer: map[string]any{}},
	{route: RouteAPIBoard, summary: "The whole live board, from memory, with the unhealthy connections", status: 200, answer: apiBoardJSON{}},
	{route: RouteAPIBoardEvents, summary: "The board's changes as server-sent events with JSON data (channel, meters, removed, resync, ping)",
		query: []apiParam{{"since", "integer", "board version already seen (or send Last-Event-ID)"}}, status: 200, stream: true},

	{route: RouteAPIReceivers, summary: "Receivers, filtered, sorted and paged", status: 200, answer: apiList[apiReceiverJSON]{},
		query: []apiParam{
			{"online", "boolean", "only receivers that answer (true) or do not (false)"},
			{"active", "boolean", "only watched (true) or unwatched (false) receivers"},
			{"location", "integer", "only receivers in this location or a room below it"},
			{"vendor", "string", "only this manufacturer's receivers"},
			{"type", "string", "only this device family"},
			{"order", "string", "id, name, host, model, status, created_at, updated_at or last_seen_at; a leading - sorts descending"},
			pLimit, pCursor,
		}},
	{route: RouteAPIReceiversOnline, summary: "Watched receivers that answer", status: 200, answer: apiList[apiReceiverJSON]{}},
	{route: RouteAPIReceiversLowBattery, summary: "Watched receivers with a low transmitter battery", status: 200,
		answer: apiList[apiReceiverJSON]{}, query: []apiParam{pThreshold}},
	{route: RouteAPIReceiver, summary: "One receiver with its channels, transmitters and connection", status: 200, answer: apiReceiverJSON{}},
	{route: RouteAPIReceiverSyncStatus, summary: "Record what the monitor sees of the receiver now (online, status, connection)",
		status: 200, answer: apiReceiverJSON{}},

	{route: RouteAPITransmitters, summary: "Transmitters on watched receivers", status: 200, answer: apiList[apiTransmitterJSON]{}},
	{route: RouteAPITransmittersLowBattery, summary: "Transmitters with a low battery", status: 200,
		answer: apiList[apiTransmitterJSON]{}, query: []apiParam{pThreshold}},
	{route: RouteAPITransmitter, summary: "One transmitter", status: 200, answer: apiTransmitterJSON{}},

	{route: RouteAPIChannels, summary: "Channels of the watched receivers, or of one receiver", status: 200,
		answer: apiList[apiChannelJSON]{}, query: []apiParam{{"receiver", "integer", "only this receiver's channels"}}},
	{route: RouteAPIChannel, summary: "One channel with its transmitter", status: 200, answer: apiChannelJSON{}},
	{route: RouteAPIChannelRename, summary: "Rename a channel: the name is written into the receiver, then stored",
		body: apiChannelRenameBody{}, status: 200, answer: apiChannelJSON{}},

	{route: RouteAPIAssignments, summary: "Assignments, highest priority first", status: 200, answer: apiList[apiAssignmentJSON]{},
		query: []apiParam{
			{"performer", "integer", "only this performer's"},
			{"channel", "integer", "only this channel's"},
			{"active", "boolean", "only active (true) or ended (false) ones"},
			{"with_alerts", "boolean", "only those that raise alerts (true) or none (false)"},
		}},
	{route: RouteAPIAssignment, summary: "One assignment", status: 200, answer: apiAssignmentJSON{}},
	{route: RouteAPIAssignmentCreate, summary: "Put a performer on a channel (409 when the channel has an active assignment). " +
		apiAlertLimitsDoc, body: apiAssignmentBody{}, status: 201, answer: apiAssignmentJSON{}},
	{route: RouteAPIAssignmentUpdate, summary: "Change an assignment's channel, priority, notes, active flag, alerts or alert limits " +
		"(only the limits named change; alert_limits null makes every one the default). " + apiAlertLimitsDoc,
		body: apiAssignmentBody{}, status: 200, answer: apiAssignmentJSON{}},
	{route: RouteAPIAssignmentDelete, summary: "Delete an assignment", status: 204},

	{route: RouteAPIPerformers, summary: "Performers by name", status: 200, answer: apiList[apiPerformerJSON]{},
		query: []apiParam{{"active", "boolean", "only active (true) or retired (false) performers"}}},
	{route: RouteAPIPerformer, summary: "One performer", status: 200, answer: apiPerformerJSON{}},
	{route: RouteAPIPerformerCreate, summary: "Add a performer", body: apiPerformerBody{}, status: 201, answer: apiPerformerJSON{}},
	{route: RouteAPIPerformerUpdate, summary: "Change a performer", body: apiPerformerBody{}, status: 200, answer: apiPerformerJSON{}},
	{route: RouteAPIPerformerDelete, summary: "Delete a performer with their assignments", status: 204},

	{route: RouteAPILocations, summary: "Locations by name", status: 200, answer: apiList[apiLocationJSON]{},
		query: []apiParam{
			{"active", "boolean", "only active locations"},
			{"roots", "boolean", "only locations without a parent"},
		}},
	{route: RouteAPILocationCounts, summary: "Locations with the receivers in each, rooms counted into their building",
		status: 200, answer: apiList[apiLocationJSON]{}},
	{route: RouteAPILocation, summary: "One location with its device count", status: 200, answer: apiLocationJSON{}},
	{route: RouteAPILocationCreate, summary: "Add a location", body: apiLocationBody{}, status: 201, answer: apiLocationJSON{}},
	{route: RouteAPILocationUpdate, summary: "Change a location (parent_id null takes it out of its parent)",
		body: apiLocationBody{}, status: 200, answer: apiLocationJSON{}},
	{route: RouteAPILocationDelete, summary: "Delete an empty location (409 while it holds receivers or rooms)", status: 204},
	{route: RouteAPILocationAssignDevice, summary: "Put receivers in the location, all or none",
		body: apiAssignDeviceBody{}, status: 200, answer: struct {
			LocationID int64 `json:"location_id"`
			Assigned   int   `json:"assigned"`
		}{}},

	{route: RouteAPIConnections, summary: "Link records of the receivers", status: 200, answer: apiList[apiConnectionJSON]{},
		query: []apiParam{{"manufacturer", "string", "only this manufacturer's receivers"}}},
	{route: RouteAPIConnectionsUnhealthy, summary: "Links in error, disconnected, or silent for longer than timeout",
		status: 200, answer: apiList[apiConnectionJSON]{},
		query: []apiParam{{"timeout", "string", "how long a link may be silent, as 30s or 2m (30s when not given)"}}},
	{route: RouteAPIConnectionHeartbeat, summary: "Record that the link was heard from now", status: 200, answer: apiConnectionJSON{}},

	{route: RouteAPIDiscoveryTasks, summary: "Discovery tasks", status: 200, answer: apiList[apiTaskJSON]{}},
	{route: RouteAPIDiscoveryTaskCreate, summary: "Add a discovery task", body: apiTaskBody{}, status: 201, answer: apiTaskJSON{}},
	{route: RouteAPIDiscoveryFound, summary: "Devices discovery found, newest first", status: 200, answer: apiList[apiFoundJSON]{},
		query: []apiParam{{"state", "string", "new, approved, rejected or duplicate"}}},
	{route: RouteAPIDiscoveryApprove, summary: "Register a found device as a receiver", status: 200, answer: apiFoundJSON{}},
	{route: RouteAPIDiscoveryReject, summary: "Dismiss a found device", status: 200, answer: apiFoundJSON{}},

	{route: RouteAPIInstances, summary: "The instances sharing the database, newest heartbeat first: state (live, stopping, gone), receivers watched, SSE clients",
		status: 200, answer: apiList[apiInstanceJSON]{}},
}

// apiOpenAPI answers GET /api/v1/openapi.json.
func (s *Server) apiOpenAPI(c echo.Context) error {
	doc, err := s.openAPIDocument()
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, doc)
}

// openAPIDocument builds the document once, from the routes as registered.
func (s *Server) openAPIDocument() ([]byte, error) {
	s.openAPI.once.Do(func() { s.openAPI.doc, s.openAPI.err = s.buildOpenAPI() })
	return s.openAPI.doc, s.openAPI.err
}

// openAPIDoc is the built document.
type openAPIDoc struct {
	once sync.Once
	doc  []byte
	err  error
}

func (s *Server) buildOpenAPI() ([]byte, error) {
	routes := map[string]*echo.Route{}
	for _, r := range s.echo.Routes() {
		if r.Method != http.MethodHead && strings.HasPrefix(r.Path, apiBase+"/") {
			routes[r.Name] = r
		}
	}
	paths := map[string]map[string]any{}
	for _, op := range apiOperations {
		r := routes[op.route]
		if r == nil {
			return nil, fmt.Errorf("openapi: no route named %q", op.route)
		}
		path, params := openAPIPath(strings.TrimPrefix(r.Path, apiBase))
		for _, q := range op.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.description(),
				"schema": q.schema()})
		}
		o := map[string]any{
			"operationId": op.route,
			"summary":     op.summary,
			"tags":        []string{strings.Split(strings.TrimPrefix(op.route, "api."), ".")[0]},
			"responses":   openAPIResponses(op, strings.Contains(r.Path, ":")),
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": jsonSchema(reflect.TypeOf(op.body))}}}
		}
		if routeAccess[op.route] == accessPublic {
			o["security"] = []any{}
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = o
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "Micboard API",
			"version": apiVersion,
			"description": "Wireless microphone receivers, channels, transmitters, performers and the live board. " +
				"Send a session cookie (writes also need the X-CSRF-Token header, as the pages send it) or an " +
				"Authorization: Bearer token. Reads need a viewer; each write the role its page needs. Errors are " +
				`{"error":{"code","message","field"}}; lists are {"data":[...],"next_cursor"}.`,
		},
		"servers": []any{map[string]any{"url": apiBase}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": map[string]any{"Error": jsonSchema(reflect.TypeOf(apiError{}))},
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionName},
			},
		},
		"security": []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}},
	}
	return json.Marshal(doc)
}

// openAPIPath turns Echo's /receivers/:id into /receivers/{id} with its
// path parameters.
func openAPIPath(p string) (string, []any) {
	var params []any
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if name, ok := strings.CutPrefix(part, ":"); ok {
			parts[i] = "{" + name + "}"
			params = append(params, map[string]any{"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "integer", "format": "int64", "minimum": 1}})
		}
	}
	return strings.Join(parts, "/"), params
}

// apiErrorStatuses are the error answers every operation may give.
var apiErrorStatuses = map[int]string{
	http.StatusBadRequest:          "a parameter or body field is malformed; error.field names it",
	http.StatusUnauthorized:        "no session and no valid token",
	http.StatusForbidden:           "the caller's role may not do this, or a session write lacks its CSRF token",
	http.StatusTooManyRequests:     "over the rate limit; Retry-After says when to try again",
	http.StatusInternalServerError: "something went wrong on the server; it was logged",
}

func openAPIResponses(op apiOperation, hasID bool) map[string]any {
	errRef := map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}
	out := map[string]any{}
	ok := map[string]any{"description": http.StatusText(op.status)}
	switch {
	case op.stream:
		ok["content"] = map[string]any{"text/event-stream": map[string]any{"schema": map[string]any{"type": "string"}}}
	case op.answer != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": jsonSchema(reflect.TypeOf(op.answer))}}
	}
	out[strconv.Itoa(op.status)] = ok
	statuses := map[int]string{}
	for k, v := range apiErrorStatuses {
		statuses[k] = v
	}
	if hasID {
		statuses[http.StatusNotFound] = "nothing has this id"
	}
	if op.body != nil || op.status == http.StatusNoContent || len(op.query) > 0 {
		statuses[http.StatusConflict] = "the change conflicts with what is stored (a channel's active assignment, a location in use)"
		statuses[http.StatusUnprocessableEntity] = "a value breaks a rule; error.field names it"
	}
	keys := make([]int, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		out[strconv.Itoa(k)] = map[string]any{"description": statuses[k], "content": errRef}
	}
	return out
}

var timeType = reflect.TypeOf(time.Time{})

// jsonSchema is the JSON schema of a Go type as encoding/json writes it.
func jsonSchema(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	switch {
	case t == timeType:
		s = map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer", "format": "int64"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number"}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Slice:
		s = map[string]any{"type": "array", "items": jsonSchema(t.Elem())}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": jsonSchema(t.Elem())}
	case t.Kind() == reflect.Interface:
		s = map[string]any{}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = jsonSchema(f.Type)
		}
		s = map[string]any{"type": "object", "properties": props}
	default:
		s = map[string]any{}
	}
	if nullable {
		s["nullable"] = true
	}
	return s
}
