package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

func TestAPIVersion(t *testing.T) {
	e := echo.New()
	e.Use(middleware.APIVersion("/api/", "1"))
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "ok") }
	e.GET("/api/v1/receivers", ok)
	e.GET("/", ok)
	tests := []struct {
		path string
		want string
	}{
		{"/api/v1/receivers", "1"},
		{"/api/v1/nothing-here", "1"}, // a 404 of the API is still the API's
		{"/", ""},
		{"/apiary", ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if got := rec.Header().Get(middleware.HeaderAPIVersion); got != tt.want {
			t.Errorf("%s: %s = %q, want %q", tt.path, middleware.HeaderAPIVersion, got, tt.want)
		}
	}
}
