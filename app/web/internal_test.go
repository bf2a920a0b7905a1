package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"

	"micboard/app/config"
)

func TestParseTemplatesFailsEarly(t *testing.T) {
	base := `{{define "layouts/base"}}<html>{{template "content" .}}</html>{{end}}`
	full := fstest.MapFS{"layouts/base.html": {Data: []byte(base)}}
	for _, p := range requiredTemplates.pages {
		full["pages/"+p+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}` + p + `{{end}}`)}
	}
	for _, p := range requiredTemplates.partials {
		full["partials/"+p+".html"] = &fstest.MapFile{Data: []byte(`{{define "partials/` + p + `"}}` + p + `{{end}}`)}
	}
	if _, err := parseTemplates(full, nil); err != nil {
		t.Fatalf("complete set: %v", err)
	}
	tests := []struct {
		name   string
		change func(fstest.MapFS)
		want   string
	}{
		{"missing page", func(f fstest.MapFS) { delete(f, "pages/board.html") }, "pages/board.html is missing"},
		{"missing partial", func(f fstest.MapFS) { delete(f, "partials/error_toast.html") }, "partials/error_toast.html is missing"},
		{"missing layout", func(f fstest.MapFS) { delete(f, "layouts/base.html") }, "layouts/base.html is missing"},
		{"page without content", func(f fstest.MapFS) { f["pages/board.html"] = &fstest.MapFile{Data: []byte(`hello`)} }, `does not define "content"`},
		{"syntax error", func(f fstest.MapFS) {
			f["pages/error.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{.X}`)}
		}, "parse template pages/error.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range full {
				fsys[k] = v
			}
			tt.change(fsys)
			_, err := parseTemplates(fsys, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

type conflictErr struct{}

func (conflictErr) Error() string   { return "transmitter already assigned" }
func (conflictErr) HTTPStatus() int { return http.StatusConflict }

func TestErrorHandlerMapsErrors(t *testing.T) {
	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	s.echo.GET("/t/panic", func(echo.Context) error { panic("boom") })
	s.echo.GET("/t/secret", func(echo.Context) error { return errors.New("pq: password=hunter2 leaked") })
	s.echo.GET("/t/conflict", func(echo.Context) error { return fmt.Errorf("assign: %w", conflictErr{}) })
	s.echo.GET("/t/bad", func(echo.Context) error { return echo.NewHTTPError(http.StatusBadRequest, "Pick a receiver first.") })

	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/t/panic", 500, "Something went wrong"},
		{"/t/secret", 500, "Something went wrong"},
		{"/t/conflict", 409, "transmitter already assigned"},
		{"/t/bad", 400, "Pick a receiver first."},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Header.Set("Accept", "text/html")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != tt.status || !strings.Contains(body, tt.want) || !strings.Contains(body, "<html") {
				t.Fatalf("got %d %.300s", rec.Code, body)
			}
			if strings.Contains(body, "hunter2") || strings.Contains(body, "boom") {
				t.Fatal("internal error detail shown to the user")
			}
		})
	}
}

func TestURLHelperRejectsUnknownRoutes(t *testing.T) {
	cfg, _ := config.Parse(func(string) (string, bool) { return "", false })
	s, err := New(Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	url := s.templateFuncs()["url"].(func(string, ...any) (string, error))
	if got, err := url(RouteHome); err != nil || got != "/" {
		t.Fatalf("url(home) = %q, %v", got, err)
	}
	if _, err := url("nope"); err == nil {
		t.Fatal("unknown route accepted")
	}
	for _, name := range []string{RouteHome, RouteHealthz, RouteReadyz, RouteStatic} {
		if !s.routeNames[name] {
			t.Errorf("route %s not registered", name)
		}
	}
}
