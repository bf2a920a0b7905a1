package shure

import "bytes"

// MaxMessage bounds one message (the bytes between '<' and '>'). A peer that
// sends more than this without a closing '>' is broken or hostile; the
// splitter drops what it holds and resynchronises on the next '<'.
const MaxMessage = 64 << 10

// Splitter turns a TCP byte stream into whole `< ... >` messages. Shure
// command strings carry no newlines, so framing is by '>' alone; a read may
// hold several messages or end inside one, and the remainder is kept for the
// next Feed. The zero value is ready to use.
type Splitter struct {
	// buf holds the unfinished message, always starting with '<'.
	buf []byte
	// Dropped counts bytes thrown away while resynchronising.
	Dropped int
}

// Feed consumes p and calls fn once for every complete message, passing the
// text between '<' and '>' with surrounding spaces trimmed. The slice passed to
// fn is only valid during the call. Messages are delivered straight out of p
// when nothing is pending, so the common case copies nothing.
func (s *Splitter) Feed(p []byte, fn func(msg []byte)) {
	if len(s.buf) > 0 {
		end := bytes.IndexByte(p, '>')
		if end < 0 {
			s.buf = append(s.buf, p...)
			s.keep(s.buf)
			return
		}
		// Complete the pending message with p's head only; the rest of p
		// is framed in place below.
		s.buf = append(s.buf, p[:end+1]...)
		s.scan(s.buf, fn)
		s.buf = s.buf[:0]
		p = p[end+1:]
	}
	s.keep(s.scan(p, fn))
	// Reclaim memory after a huge partial message so one burst does not pin
	// a large array for the life of the connection.
	if len(s.buf) == 0 && cap(s.buf) > 4096 {
		s.buf = nil
	}
}

// scan delivers every message that ends in data and returns the unterminated
// tail.
func (s *Splitter) scan(data []byte, fn func([]byte)) []byte {
	for {
		end := bytes.IndexByte(data, '>')
		if end < 0 {
			return data
		}
		frame := data[:end]
		start := bytes.LastIndexByte(frame, '<')
		switch {
		case start < 0:
			// Bytes before any '<' are noise; drop them with the stray '>'.
			s.Dropped += end + 1
		case end-start-1 > MaxMessage:
			s.Dropped += end + 1
		default:
			// An earlier '<' without its '>' was a broken message: skip it.
			s.Dropped += start
			fn(bytes.TrimSpace(frame[start+1:]))
		}
		data = data[end+1:]
	}
}

// keep stores the unterminated tail, starting at its last '<'. tail may alias
// s.buf; the copy is a memmove.
func (s *Splitter) keep(tail []byte) {
	i := bytes.LastIndexByte(tail, '<')
	if i < 0 || len(tail)-i-1 > MaxMessage {
		// No message has started, or it is already too long to be one.
		s.Dropped += len(tail)
		s.buf = s.buf[:0]
		return
	}
	s.Dropped += i
	s.buf = append(s.buf[:0], tail[i:]...)
}

// Pending reports how many bytes wait for a closing '>'.
func (s *Splitter) Pending() int { return len(s.buf) }

// Reset forgets any partial message (for a new connection).
func (s *Splitter) Reset() {
	s.buf = s.buf[:0]
}
