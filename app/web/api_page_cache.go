package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/cache"
)

// apiPageTTL bounds a cached API page like the rows it is built from:
// writes drop it at once by tag; the TTL bounds only what a process
// without the shared cache leaves behind.
const apiPageTTL = cache.Short

// apiCachedJSON answers c with build's value as JSON, and caches the
// encoded bytes: keyed by the path and the query (its parameters sorted),
// dropped by tags, the tags of the store queries build runs, so any write
// that changes those rows drops the page before the write returns. A hit
// costs no query and no encoding, which is what makes it pay on a list of
// hundreds of receivers; caching the rows alone still paid for encoding
// them on every call. Only for answers that are the same for every caller
// the route admits, and only when the store reads through the cache
// (without it, writes drop nothing); cacheable false (an answer that moves
// with the clock) builds every time.
func (s *Server) apiCachedJSON(c echo.Context, tags []string, cacheable bool, build func(ctx context.Context) (any, error)) error {
	ctx := c.Request().Context()
	var store *cache.Cache
	if s.store != nil {
		store = s.store.ReadCache()
	}
	if store == nil || !cacheable {
		v, err := build(ctx)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	}
	body, err := cache.Load(ctx, store, apiPageKey(c), apiPageTTL, func(ctx context.Context) ([]byte, error) {
		v, err := build(ctx)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", c.Request().URL.Path, err)
		}
		return append(b, '\n'), nil // as c.JSON writes it
	}, tags...)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// apiPageKey names a page by its path and canonical query.
func apiPageKey(c echo.Context) string {
	r := c.Request()
	sum := sha256.Sum256([]byte(r.URL.Path + "?" + r.URL.Query().Encode()))
	return "apipage:" + hex.EncodeToString(sum[:16])
}
