package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"micboard/app/cache"
	"micboard/app/cache/redistest"
	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

// benchFleet is the size of the receiver list the benchmark reads.
const benchFleet = 500

// seedFleet inserts benchFleet four-channel receivers with transmitters
// and connection records, in a few bulk statements.
func seedFleet(b *testing.B, e *storetest.Env) {
	b.Helper()
	mf, err := e.St.Manufacturers.ByCode(e.Ctx, model.VendorShure)
	if err != nil {
		b.Fatal(err)
	}
	loc := e.Location("Main stage", nil)
	rxs := make([]*model.Receiver, benchFleet)
	for i := range rxs {
		rxs[i] = &model.Receiver{
			ManufacturerID: mf.ID, DeviceType: model.TypeULXD, Model: "ULXD4Q", Host: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1),
			Port: 2202, Name: fmt.Sprintf("RX%03d", i), LocationID: &loc.ID, Active: true, Online: i%10 != 0,
			Status: model.LifecycleOnline,
		}
	}
	if _, err := e.DB.NewInsert().Model(&rxs).Returning("id").Exec(e.Ctx); err != nil {
		b.Fatal(err)
	}
	var chs []*model.Channel
	for _, rx := range rxs {
		for n := 1; n <= 4; n++ {
			chs = append(chs, &model.Channel{ReceiverID: rx.ID, Number: n, Name: fmt.Sprintf("HH%02d Performer", n)})
		}
	}
	if _, err := e.DB.NewInsert().Model(&chs).Returning("id").Exec(e.Ctx); err != nil {
		b.Fatal(err)
	}
	txs := make([]*model.Transmitter, len(chs))
	for i, ch := range chs {
		txs[i] = &model.Transmitter{ChannelID: ch.ID, Model: "ULXD2", BatteryPercent: storetest.Int(i % 100), Status: "OK"}
	}
	if err := e.St.Transmitters.Upsert(e.Ctx, txs...); err != nil {
		b.Fatal(err)
	}
	conns := make([]*model.Connection, len(rxs))
	for i, rx := range rxs {
		conns[i] = &model.Connection{ReceiverID: rx.ID, Status: model.ConnConnected}
	}
	if _, err := e.DB.NewInsert().Model(&conns).Exec(e.Ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReceiverList500 reads the full receiver list (500 receivers,
// 2,000 channels with their transmitters, manufacturer, location and
// connection) as an API list page will: from PostgreSQL, and through the
// cache in memory and in Redis. It reports requests/s and the p99 latency
// of one client reading in a loop.
func BenchmarkReceiverList500(b *testing.B) {
	e := storetest.New(b)
	seedFleet(b, e)
	stores := []struct {
		name string
		st   func(b *testing.B) *store.Store
	}{
		{"uncached", func(*testing.B) *store.Store { return store.New(e.DB) }},
		{"cached-memory", func(*testing.B) *store.Store { return store.NewCached(e.DB, cache.NewMemory(nil)) }},
		{"cached-redis", func(b *testing.B) *store.Store {
			c, err := cache.NewRedis(e.Ctx, redistest.SharedURL(b), nil)
			if err != nil {
				redistest.Unavailable(b, err.Error())
			}
			b.Cleanup(func() { c.Close() })
			st := store.NewCached(e.DB, c)
			// A shared Redis may hold a list of another database with the
			// same ids: start from this one's.
			if err := c.InvalidateTags(e.Ctx, "receivers"); err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st := s.st(b)
			list := func() {
				l, err := st.Receivers.Query().Active().WithChannels().WithRelations().List(e.Ctx)
				if err != nil || len(l) != benchFleet || len(l[0].Channels) != 4 || l[0].Channels[0].Transmitter == nil {
					b.Fatalf("list: %d receivers, %v", len(l), err)
				}
			}
			list() // warm: the cache holds the list, the pool its connection
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				t0 := time.Now()
				list()
				lat = append(lat, time.Since(t0))
			}
			took := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/took.Seconds(), "req/s")
			b.ReportMetric(float64(lat[(len(lat)*99+99)/100-1])/float64(time.Millisecond), "p99_ms")
		})
	}
}
