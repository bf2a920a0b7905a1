package sim

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// floodChunk is how much junk is queued at once; floodQueue bounds what may
// wait in a client's queue, so real messages keep room between the chunks
// (a full queue makes the receiver drop the client as too slow) and the
// simulator's own memory stays small whatever the flood's size.
const (
	floodChunk = 32 << 10
	floodQueue = 16
)

// Flood is one scripted flood of garbage to one client connection.
type Flood struct {
	done chan struct{}
	mu   sync.Mutex
	sent int
	cut  bool
}

// Done is closed when the flood ends: all bytes queued, or the connection
// closed first.
func (f *Flood) Done() <-chan struct{} { return f.done }

// Queued returns the bytes handed to the connection so far.
func (f *Flood) Queued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent
}

// Cut reports whether the connection closed before the flood was all sent,
// which is what a client that gives up on a junk link does.
func (f *Flood) Cut() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cut
}

// ErrFloodUnsupported: only Shure receivers (one TCP stream per client) can
// be flooded.
var ErrFloodUnsupported = errors.New("flood: only Shure receivers can be flooded")

// SendFlood scripts the worst garbage a broken receiver can send, to every
// client connected now: a line of lineBytes that never ends ('<' and filler,
// no '>'), then noiseBytes of random bytes ('<' and '>' included, so junk
// frames appear too). The receiver's real messages keep flowing between the
// chunks, as they would on a real wire, so the link never goes silent. It
// returns at once, one Flood per client; a connection opened later is not
// flooded, so a client that reconnects finds a sane receiver.
func (r *Receiver) SendFlood(lineBytes, noiseBytes int) ([]*Flood, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.srv.(*shureServer)
	if !ok {
		return nil, ErrFloodUnsupported
	}
	var out []*Flood
	for c := range s.conns {
		f := &Flood{done: make(chan struct{})}
		out = append(out, f)
		seed := r.junk.Uint64()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(f.done)
			s.flood(c, f, lineBytes, noiseBytes, rand.New(rand.NewPCG(seed, uint64(noiseBytes))))
		}()
	}
	return out, nil
}

// flood queues the junk for c chunk by chunk, generating each on demand.
func (s *shureServer) flood(c *shureClient, f *Flood, lineBytes, noiseBytes int, rng *rand.Rand) {
	chunk := make([]byte, floodChunk)
	for i := range chunk {
		chunk[i] = 'x'
	}
	chunk[0] = '<'
	for left, line := lineBytes+noiseBytes, lineBytes; left > 0; {
		n := min(left, floodChunk)
		if line <= 0 {
			for i := range chunk[:n] {
				chunk[i] = byte(rng.UintN(256))
			}
		} else {
			n = min(n, line)
		}
		if !s.queue(c, chunk[:n]) {
			f.mu.Lock()
			f.cut = true
			f.mu.Unlock()
			return
		}
		if line > 0 {
			line -= n
			chunk[0] = 'x' // only the line's first chunk opens a message
		}
		left -= n
		f.mu.Lock()
		f.sent += n
		f.mu.Unlock()
	}
}

// queue hands a copy of p to c's writer once its queue has room; false when
// the connection has closed.
func (s *shureServer) queue(c *shureClient, p []byte) bool {
	cp := append([]byte(nil), p...)
	for {
		s.r.mu.Lock()
		if c.closed || s.r.stopped {
			s.r.mu.Unlock()
			return false
		}
		if len(c.out) < floodQueue {
			c.out <- cp // cannot block: below capacity, and we hold r.mu
			s.r.mu.Unlock()
			return true
		}
		s.r.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}
