package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/web/htmx"
)

// Pages and partials the handlers render. Every name listed here must have
// a template file, or New fails: a missing template stops the start-up, not
// a user's click. Add a constant (and to requiredTemplates) with each new
// views/pages/NAME.html or views/partials/NAME.html.
const (
	PageError            = "error"
	PageBoard            = "board"
	PageChannel          = "channel"
	PageKiosk            = "kiosk"
	PageKioskRevoked     = "kiosk_revoked"
	PageLogin            = "login"
	PageAdminHome        = "admin_home"
	PageAdminUsers       = "admin_users"
	PageAdminAudit       = "admin_audit"
	PageAdminPerformance = "admin_performance"

	PartialErrorToast    = "error_toast"
	PartialTile          = "tile"
	PartialTileMeters    = "tile_meters"
	PartialBoardGrid     = "board_grid"
	PartialChannelDetail = "channel_detail"
	PartialAdminNav      = "admin_nav"
	PartialFieldError    = "field_error"
)

var requiredTemplates = struct{ pages, partials []string }{
	pages: []string{PageError, PageBoard, PageChannel, PageKiosk, PageKioskRevoked,
		PageLogin, PageAdminHome, PageAdminUsers, PageAdminAudit, PageAdminPerformance},
	partials: []string{PartialErrorToast, PartialTile, PartialTileMeters, PartialBoardGrid, PartialChannelDetail,
		PartialAdminNav, PartialFieldError, PartialTileIEM},
}

// Layouts: the app's (header, footer) and the wall display's (nothing but
// the board).
const (
	baseLayout  = "layouts/base"
	layoutKiosk = "layouts/kiosk"
)

// View is what every page template receives as its dot. Partials receive
// their own data so a tile renders the same inside a page and on its own.
type View struct {
	Title     string       // shown before " · Micboard" in the tab; empty for the home page
	Page      string       // the page's name (PageBoard, ...), for the navigation
	Path      string       // request path
	Data      any          // the page's own data
	HTMX      htmx.Request // what htmx said about the request
	RequestID string
	Version   string
	User      *model.User // the logged-in user, or nil
	CSRF      string      // the token forms and htmx send back ("" where none is issued)
	// CanAdmin: the user may open the admin console.
	CanAdmin bool
}

// templates holds one parsed set per page (layouts + partials + that page's
// file) and one set of the shared templates for rendering partials alone.
type templates struct {
	pages  map[string]*template.Template
	shared *template.Template
}

// parseTemplates reads layouts/, partials/ and pages/ from fsys. A file's
// template name is its path without ".html" ("partials/tile");
// every page file defines "content", which the layout places.
func parseTemplates(fsys fs.FS, funcs template.FuncMap) (*templates, error) {
	shared := template.New("").Funcs(funcs).Option("missingkey=error")
	for _, dir := range []string{"layouts", "partials"} {
		if err := parseDir(shared, fsys, dir); err != nil {
			return nil, err
		}
	}
	if shared.Lookup(baseLayout) == nil {
		return nil, fmt.Errorf("template %s.html is missing", baseLayout)
	}
	t := &templates{pages: map[string]*template.Template{}, shared: shared}
	files, err := fs.Glob(fsys, "pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("list pages: %w", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(path.Base(file), ".html")
		set, err := shared.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone templates for page %s: %w", name, err)
		}
		if err := parseFile(set, fsys, file); err != nil {
			return nil, err
		}
		if set.Lookup("content") == nil {
			return nil, fmt.Errorf("page %s does not define \"content\"", file)
		}
		t.pages[name] = set
	}
	for _, p := range requiredTemplates.pages {
		if t.pages[p] == nil {
			return nil, fmt.Errorf("template views/pages/%s.html is missing", p)
		}
	}
	for _, p := range requiredTemplates.partials {
		if shared.Lookup("partials/"+p) == nil {
			return nil, fmt.Errorf("template views/partials/%s.html is missing", p)
		}
	}
	return t, nil
}

func parseDir(set *template.Template, fsys fs.FS, dir string) error {
	files, err := fs.Glob(fsys, dir+"/*.html")
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := parseFile(set, fsys, f); err != nil {
			return err
		}
	}
	return nil
}

func parseFile(set *template.Template, fsys fs.FS, file string) error {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return fmt.Errorf("read template %s: %w", file, err)
	}
	if _, err := set.New(strings.TrimSuffix(file, ".html")).Parse(string(b)); err != nil {
		return fmt.Errorf("parse template %s: %w", file, err)
	}
	return nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// execute renders into a buffer first, so a template error becomes a clean
// 500 instead of half a page sent with 200.
func execute(w io.Writer, t *template.Template, name string, data any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// RenderPartial writes views/partials/NAME.html with data to w. SSE streams
// use it to send the same tile markup a full page shows.
func (s *Server) RenderPartial(w io.Writer, name string, data any) error {
	return execute(w, s.views.shared, "partials/"+name, data)
}

// page answers with a whole page through the layout, or only the page's
// "content" when htmx asks for a fragment (a non-boosted htmx request).
func (s *Server) page(c echo.Context, status int, name string, v View) error {
	return s.pageLayout(c, status, name, baseLayout, v)
}

// pageLayout is page with a chosen layout.
func (s *Server) pageLayout(c echo.Context, status int, name, layout string, v View) error {
	set, ok := s.views.pages[name]
	if !ok {
		return fmt.Errorf("render page %s: no such page", name)
	}
	v.Page = name
	v.Path = c.Request().URL.Path
	v.HTMX = htmx.GetRequest(c)
	v.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	v.Version = s.version
	v.User = currentUser(c)
	v.CSRF = csrfToken(c)
	v.CanAdmin = v.User != nil && v.User.Role.AtLeast(routeAccess[RouteAdmin].role())
	tmpl := layout
	if v.HTMX.Partial() {
		tmpl = "content"
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := set.ExecuteTemplate(buf, tmpl, v); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	c.Response().Header().Add("Vary", htmx.HeaderRequest)
	return c.HTMLBlob(status, buf.Bytes())
}

// partial answers with one partial template and its data.
func (s *Server) partial(c echo.Context, status int, name string, data any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := s.views.shared.ExecuteTemplate(buf, "partials/"+name, data); err != nil {
		return fmt.Errorf("render partial %s: %w", name, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// templateFuncs are the helpers every template can call.
func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{
		// url builds a route's path from its name (routes.go) and params.
		"url": func(name string, params ...any) (string, error) {
			if !s.routeNames[name] {
				return "", fmt.Errorf("url: no route named %q", name)
			}
			return s.echo.Reverse(name, params...), nil
		},
		// asset gives a static file's URL with its content hash, so browsers
		// may cache it for good and still see a new build at once.
		"asset": func(name string) (string, error) {
			a, ok := s.assets.files[name]
			if !ok {
				return "", fmt.Errorf("asset: no static file %q", name)
			}
			return "/static/" + name + "?v=" + a.hash, nil
		},
		// rfc3339 and ago format a moment for <time> elements; the page keeps
		// "3 min ago" current by itself.
		"rfc3339": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"ago": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return ago(*t, time.Now())
		},
		"hasPrefix": strings.HasPrefix,
		"ptrTime":   func(t time.Time) *time.Time { return &t },
		"list":      func(v ...string) []string { return v },
		"add":       func(a, b int) int { return a + b },
		"sub":       func(a, b int) int { return a - b },
		// vendors lists the device registry's vendors (code, name, port).
		"vendors": vendorChoices,
		// dict passes several values to a partial: {{template "x" dict "A" 1 "B" 2}}.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
	}
}
