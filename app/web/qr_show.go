package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	qr "github.com/piglig/go-qr"
)

// qrShow draws a QR code of one of this server's pages (?path=/...) as
// SVG, so a phone can open the view a person is looking at (the board's
// "Q" key). Only a path on this host: never a code for any text at all.
func (s *Server) qrShow(c echo.Context) error {
	path := c.QueryParam("path")
	if path == "" || path[0] != '/' || strings.HasPrefix(path, "//") || strings.ContainsAny(path, "\\\r\n") || len(path) > 1024 {
		return echo.NewHTTPError(http.StatusBadRequest, "Give the path of a page on this server, starting with /.")
	}
	code, err := qr.EncodeText(c.Scheme()+"://"+c.Request().Host+path, qr.Medium)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "This address is too long for a QR code.")
	}
	noStore(c)
	return c.Blob(http.StatusOK, "image/svg+xml", qrSVG(code))
}

// qrSVG draws the code's dark modules as one path, with the four-module
// quiet zone the standard asks for. It writes numbers only.
func qrSVG(code *qr.QrCode) []byte {
	const border = 4
	n := code.Size()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n+2*border, n+2*border)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if code.Module(x, y) {
				fmt.Fprintf(&b, "M%d,%dh1v1h-1z", x+border, y+border)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String())
}
