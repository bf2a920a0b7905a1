package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"micboard/app/config"
)

// apiQueryParams is what each API route reads from its query string, kept
// here apart from the document so that the test checks one against the
// other.
var apiQueryParams = map[string][]string{
	RouteAPIBoardEvents:            {"since"},
	RouteAPIReceivers:              {"online", "active", "location", "vendor", "type", "order", "limit", "cursor"},
	RouteAPIReceiversLowBattery:    {"threshold"},
	RouteAPITransmittersLowBattery: {"threshold"},
	RouteAPIChannels:               {"receiver"},
	RouteAPIAssignments:            {"performer", "channel", "active", "with_alerts"},
	RouteAPIPerformers:             {"active"},
	RouteAPILocations:              {"active", "roots"},
	RouteAPIConnections:            {"manufacturer"},
	RouteAPIConnectionsUnhealthy:   {"timeout"},
	RouteAPIDiscoveryFound:         {"state"},
}

// The document served at /api/v1/openapi.json is valid OpenAPI 3 (checked
// by kin-openapi), and describes every registered /api/v1 route with its
// path and query parameters, and nothing that is not a route.
func TestAPIOpenAPIDescribesEveryRoute(t *testing.T) {
	cfg, err := config.Parse(func(k string) (string, bool) {
		if k == "MICBOARD_SESSION_SECRET" {
			return strings.Repeat("s", 32), true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	res, body := apiCall(t, s.Handler(), nil, http.MethodGet, "/api/v1/openapi.json", nil)
	if res.StatusCode != http.StatusOK || body["openapi"] == nil {
		t.Fatalf("GET /api/v1/openapi.json = %d", res.StatusCode)
	}
	raw, err := s.openAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}

	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}
	registered := 0
	for _, r := range s.echo.Routes() {
		if r.Method == http.MethodHead || !strings.HasPrefix(r.Path, apiBase+"/") {
			continue
		}
		registered++
		path, _ := openAPIPath(strings.TrimPrefix(r.Path, apiBase))
		key := r.Method + " " + path
		item := doc.Paths.Find(path)
		var op *openapi3.Operation
		if item != nil {
			op = item.GetOperation(r.Method)
		}
		if op == nil {
			t.Errorf("route %s (%s %s) is not in the document", r.Name, r.Method, r.Path)
			continue
		}
		delete(described, key)
		if op.OperationID != r.Name {
			t.Errorf("%s: operationId %q, want the route name %q", key, op.OperationID, r.Name)
		}
		var inPath, inQuery []string
		for _, p := range op.Parameters {
			switch p.Value.In {
			case openapi3.ParameterInPath:
				inPath = append(inPath, p.Value.Name)
			case openapi3.ParameterInQuery:
				inQuery = append(inQuery, p.Value.Name)
			}
		}
		for _, seg := range strings.Split(r.Path, "/") {
			if name, ok := strings.CutPrefix(seg, ":"); ok && !slices.Contains(inPath, name) {
				t.Errorf("%s: path parameter %q is not described", key, name)
			}
		}
		want := apiQueryParams[r.Name]
		for _, q := range want {
			if !slices.Contains(inQuery, q) {
				t.Errorf("%s: query parameter %q is not described", key, q)
			}
		}
		for _, q := range inQuery {
			if !slices.Contains(want, q) {
				t.Errorf("%s: the document describes query parameter %q the route does not read", key, q)
			}
		}
		if op.Responses.Status(http.StatusUnauthorized) == nil && routeAccess[r.Name] != accessPublic {
			t.Errorf("%s: no 401 answer described", key)
		}
	}
	for key := range described {
		t.Errorf("the document describes %s, which is no route", key)
	}
	if registered != len(apiOperations) || registered < 39 {
		t.Errorf("%d API routes registered, %d operations described", registered, len(apiOperations))
	}
}
