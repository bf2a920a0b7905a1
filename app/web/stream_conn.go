package web

import (
	"context"
	"net"

	"github.com/labstack/echo/v4"
)

// streamSendBuffer bounds the kernel's send buffer of a live stream's
// socket. Left alone, Linux grows it to megabytes, so a browser that stops
// reading (a sleeping laptop, a stuck tab) absorbs a quiet board's updates
// for many minutes before a write blocks and the stream's write deadline
// can drop it, and each such socket pins that much kernel memory meanwhile.
// 32 KB still carries a full board's re-draw at LAN speed.
const streamSendBuffer = 32 << 10

// connKey carries a request's connection in its context.
type connKey struct{}

// withConn is the http.Server's ConnContext: it remembers each request's
// connection, for what only the socket can do (streamSocket).
func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// streamSocket readies a live stream's socket: a bounded send buffer, so a
// client that stopped reading is noticed within seconds, not minutes.
func streamSocket() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			conn, _ := c.Request().Context().Value(connKey{}).(net.Conn)
			for conn != nil {
				if tc, ok := conn.(interface{ SetWriteBuffer(int) error }); ok {
					_ = tc.SetWriteBuffer(streamSendBuffer) // best effort: the deadline still applies
					break
				}
				u, ok := conn.(interface{ NetConn() net.Conn })
				if !ok {
					break
				}
				conn = u.NetConn()
			}
			return next(c)
		}
	}
}
