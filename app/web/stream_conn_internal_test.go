package web

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// bufferConn records the send buffer asked of it.
type bufferConn struct {
	net.Conn
	size int
}

func (c *bufferConn) SetWriteBuffer(n int) error { c.size = n; return nil }

// A live stream's socket gets the small send buffer, also through the
// per-client cap's wrapper.
func TestStreamSocketBoundsTheSendBuffer(t *testing.T) {
	for name, wrap := range map[string]func(net.Conn) net.Conn{
		"bare":       func(c net.Conn) net.Conn { return c },
		"per-client": func(c net.Conn) net.Conn { return &countedConn{Conn: c, release: func() {}} },
	} {
		t.Run(name, func(t *testing.T) {
			conn := &bufferConn{}
			req := httptest.NewRequest(http.MethodGet, "/board/events", nil)
			req = req.WithContext(withConn(req.Context(), wrap(conn)))
			c := echo.New().NewContext(req, httptest.NewRecorder())
			ran := false
			if err := streamSocket()(func(echo.Context) error { ran = true; return nil })(c); err != nil {
				t.Fatal(err)
			}
			if !ran || conn.size != streamSendBuffer {
				t.Fatalf("handler ran %v, send buffer %d; want %d", ran, conn.size, streamSendBuffer)
			}
		})
	}
}
