package shure

import "bytes"

// MaxMessage bounds one message (the bytes between '<' and '>'). A peer that
// sends more than this without a closing '>' is broken or hostile; the
// splitter drops what it holds and resynchronises on the next '<'.
const MaxMessage = 64 << 10

// MaxBraced bounds a {braced} value. Shure pads strings to at most 32
// characters, so a '{' still open this far on is a stray byte, not a value:
// from there on '<' and '>' frame again, or one stray brace would swallow
// every message up to MaxMessage.
const MaxBraced = 256

// Splitter turns a TCP byte stream into whole `< ... >` messages. Shure
// command strings carry no newlines, so framing is by '>' alone; a read may
// hold several messages or end inside one, and the remainder is kept for the
// next Feed. A {braced} value is one unit: the documented name character set
// includes '<' and '>', so inside braces they are text, not framing. The
// zero value is ready to use.
type Splitter struct {
	// buf holds the unfinished message, always starting with '<'.
	buf []byte
	// st is the scan state at the end of buf.
	st scanState
	// Dropped counts bytes thrown away while resynchronising.
	Dropped int
}

// scanState is where a scan stands inside one message.
type scanState struct {
	inBrace bool
	brace   int // bytes since the '{' that opened the brace
}

// step advances the state by c and reports whether c ends the message ('>')
// or starts a new one ('<'), outside braces.
func (st *scanState) step(c byte) (end, start bool) {
	if st.inBrace {
		st.brace++
		switch {
		case c == '}':
			st.inBrace = false
		case st.brace > MaxBraced:
			// A brace this long is noise: frame on this byte as usual.
			st.inBrace = false
			return c == '>', c == '<'
		}
		return false, false
	}
	switch c {
	case '{':
		st.inBrace, st.brace = true, 0
	case '>':
		return true, false
	case '<':
		return false, true
	}
	return false, false
}

// Feed consumes p and calls fn once for every complete message, passing the
// text between '<' and '>' with surrounding spaces trimmed. The slice passed to
// fn is only valid during the call. Messages are delivered straight out of p
// when nothing is pending, so the common case copies nothing.
func (s *Splitter) Feed(p []byte, fn func(msg []byte)) {
	if len(s.buf) > 0 {
		// Continue the pending message with p's head.
		st := s.st
		for i, c := range p {
			end, start := st.step(c)
			switch {
			case end:
				s.buf = append(s.buf, p[:i+1]...)
				fn(trimSpace(s.buf[1 : len(s.buf)-1]))
				s.buf, s.st = s.buf[:0], scanState{}
				s.scan(p[i+1:], fn)
				s.reclaim()
				return
			case start:
				// The pending message never ended: drop it and start over
				// at this '<'.
				s.Dropped += len(s.buf) + i
				s.buf, s.st = s.buf[:0], scanState{}
				s.scan(p[i:], fn)
				s.reclaim()
				return
			}
		}
		if len(s.buf)+len(p)-1 > MaxMessage {
			s.Dropped += len(s.buf) + len(p)
			s.buf, s.st = s.buf[:0], scanState{}
			return
		}
		s.buf = append(s.buf, p...)
		s.st = st
		return
	}
	s.scan(p, fn)
	s.reclaim()
}

// reclaim frees memory after a huge partial message so one burst does not
// pin a large array for the life of the connection.
func (s *Splitter) reclaim() {
	if len(s.buf) == 0 && cap(s.buf) > 4096 {
		s.buf = nil
	}
}

// scan delivers every message that ends in data (nothing pending) and keeps
// the unterminated tail.
func (s *Splitter) scan(data []byte, fn func([]byte)) {
	for len(data) > 0 {
		start := bytes.IndexByte(data, '<')
		if start < 0 {
			s.Dropped += len(data)
			return
		}
		s.Dropped += start
		data = data[start:]
		var st scanState
		end, restart := -1, -1
		for i := 1; i < len(data); i++ {
			e, r := st.step(data[i])
			if e {
				end = i
				break
			}
			if r {
				restart = i
				break
			}
		}
		switch {
		case end >= 0:
			if end-1 > MaxMessage {
				s.Dropped += end + 1
			} else {
				fn(trimSpace(data[1:end]))
			}
			data = data[end+1:]
		case restart >= 0:
			// An earlier '<' without its '>' was a broken message: skip it.
			s.Dropped += restart
			data = data[restart:]
		default:
			if len(data)-1 > MaxMessage {
				// Already too long to be one message.
				s.Dropped += len(data)
				return
			}
			s.buf = append(s.buf[:0], data...)
			s.st = st
			return
		}
	}
}

// Pending reports how many bytes wait for a closing '>'.
func (s *Splitter) Pending() int { return len(s.buf) }

// Reset forgets any partial message (for a new connection).
func (s *Splitter) Reset() {
	s.buf, s.st = s.buf[:0], scanState{}
}
