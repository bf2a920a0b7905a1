package sennheiser

import (
	"bytes"
	"testing"

	"micboard/app/device"
)

// FuzzSSCv2Events feeds arbitrary bytes through the event-stream reader
// and every decoder of an event (open event, resource event, ApplyV2): a
// receiver or anyone on its network can send anything, and none of it may
// panic or grow without bound. Seeds are the API document's open event and
// resources in their documented shapes (see sscv2_test.go).
func FuzzSSCv2Events(f *testing.F) {
	f.Add([]byte(docOpenEvent))
	f.Add([]byte("data:{\"/api/transmitters/0/battery\":{\"type\":\"Battery\",\"lifetime\":312,\"gauge\":70}}\n\n"))
	f.Add([]byte("data: {\"/api/channel/1\":{\"name\":\"HH02\",\"mute\":false,\"gain\":9}}\r\n\r\n"))
	f.Add([]byte("data:{\"/api/channel/0/warnings\":[\"NoLink\"],\"/api/transmitters/0\":null}\n\n"))
	f.Add([]byte("data:{\"/api/device/identity\":{\"product\":\"EWDX2CHS\",\"serial\":\"1\"}}\ndata:\n\n: ping\n\n"))
	f.Add([]byte("data:{\"/api/channel/3/level\":{\"value\":-1e400}}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sse := NewSSEReader(bytes.NewReader(b))
		for i := 0; i < 1000; i++ {
			ev, err := sse.Next()
			if err != nil {
				return
			}
			if len(ev.Data) > MaxV2Event {
				t.Fatalf("event of %d bytes passed the bound", len(ev.Data))
			}
			if id, err := ParseOpenEvent(ev.Data); err == nil && id == "" {
				t.Fatal("empty session accepted")
			}
			leaves, err := DecodeV2(ev.Data)
			if err != nil {
				continue
			}
			var r device.Reading
			ApplyV2(&r, leaves)
			for n := range r.Channels {
				if n < 1 || n > 64 {
					t.Fatalf("channel %d out of range", n)
				}
			}
		}
	})
}
