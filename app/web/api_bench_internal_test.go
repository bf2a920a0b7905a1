package web

// BenchmarkAPIReceivers500: GET /api/v1/receivers?limit=500 over 500
// receivers, with a viewer's Bearer token, answered by the server's
// handler in this process (no network, no gzip): uncached (a store that
// caches nothing) against cached (the store reads through an in-memory
// cache and the encoded page is cached, api_page_cache.go). Each reports
// requests per second and the 99th percentile; the parent logs the ratio.
// Both pay the token lookup in PostgreSQL on every request, as a real
// client does.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"micboard/app/cache"
	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

const benchAPIReceivers = 500

func BenchmarkAPIReceivers500(b *testing.B) {
	bdb := dbtest.New(b)
	env := &storetest.Env{T: b, Ctx: b.Context(), DB: bdb, St: store.New(bdb)}
	loc := env.Location("Main stage", nil)
	for i := range benchAPIReceivers {
		env.Receiver(storetest.Rx{Name: fmt.Sprintf("Rack %03d", i), Online: i%5 != 0, LocationID: &loc.ID, Channels: 1})
	}
	_, token, err := service.NewAPITokens(env.St).Create(b.Context(), service.CLI, service.APITokenInput{Name: "bench", Role: model.RoleViewer})
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse(func(k string) (string, bool) {
		switch k {
		case "MICBOARD_API_RATE_READ", "MICBOARD_API_RATE_WRITE":
			return "1000000/1s", true
		case "MICBOARD_SESSION_SECRET":
			return "bench-secret-bench-secret-bench-secret", true
		}
		return "", false
	})
	if err != nil {
		b.Fatal(err)
	}
	const path = "/api/v1/receivers?limit=500"
	rps := map[string]float64{}
	for _, mode := range []string{"uncached", "cached"} {
		b.Run(mode, func(b *testing.B) {
			c := cache.NewMemory(nil)
			st := store.New(bdb)
			if mode == "cached" {
				st = store.NewCached(bdb, c)
			}
			s, err := New(Deps{Config: cfg, DB: bdb, Store: st, Cache: c})
			if err != nil {
				b.Fatal(err)
			}
			h := s.Handler()
			call := func() int {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Accept", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body.String())
				}
				return rec.Body.Len()
			}
			size := call() // warm: the first call fills the cache
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				t0 := time.Now()
				call()
				lat = append(lat, time.Since(t0))
			}
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			p99 := lat[min(len(lat)-1, len(lat)*99/100)]
			rps[mode] = float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rps[mode], "req/s")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
	if rps["uncached"] > 0 && rps["cached"] > 0 {
		b.Logf("cached/uncached: %.1f× the requests per second", rps["cached"]/rps["uncached"])
	}
}
