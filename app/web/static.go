package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// assets indexes the embedded static files with a content hash each, taken
// once at start-up.
type assets struct {
	files map[string]asset
}

type asset struct {
	data []byte
	hash string
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{files: map[string]asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.files[p] = asset{data: b, hash: hex.EncodeToString(sum[:])[:12]}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index static files: %w", err)
	}
	for _, need := range []string{"css/app.css", "js/htmx.min.js", "js/sse.js"} {
		if _, ok := a.files[need]; !ok {
			return nil, fmt.Errorf("static file %s is missing (run make assets)", need)
		}
	}
	return a, nil
}

// staticServe answers /static/*. A URL carrying the file's current hash
// (as the asset template helper writes it) is cached for a year; any other
// is cached briefly and revalidated through its ETag.
func (s *Server) staticServe(c echo.Context) error {
	name := c.Param("*")
	a, ok := s.assets.files[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("ETag", `"`+a.hash+`"`)
	if c.QueryParam("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300, must-revalidate")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(a.data))
	return nil
}
