package web

// Route names. Templates ({{url "home"}}) and redirects (s.redirect) build
// URLs from these names, never from literal paths.
const (
	RouteHome    = "home"
	RouteHealthz = "healthz"
	RouteReadyz  = "readyz"
	RouteStatic  = "static"

	RouteBoardGrid      = "board.grid"
	RouteBoardEvents    = "board.events"
	RouteChannel        = "channel"
	RouteKiosk          = "kiosk"
	RouteKioskGrid      = "kiosk.grid"
	RouteKioskEvents    = "kiosk.events"
	RouteKioskHeartbeat = "kiosk.heartbeat"
)

// routes registers every route of the app; this is the one list of them.
func (s *Server) routes() {
	e := s.echo

	// Probes.
	e.GET("/healthz", s.healthShow).Name = RouteHealthz
	e.GET("/readyz", s.readyShow).Name = RouteReadyz

	// Assets.
	e.GET("/static/*", s.staticServe).Name = RouteStatic

	// The board: the page, its grid (fetched again after a reconnect), its
	// live stream, and the channel detail panel.
	e.GET("/", s.boardShow).Name = RouteHome
	e.GET("/board/grid", s.boardGrid).Name = RouteBoardGrid
	e.GET("/board/events", s.boardEvents).Name = RouteBoardEvents
	e.GET("/channels/:id", s.channelShow).Name = RouteChannel

	// Wall displays: the secret token in the URL is the only credential.
	e.GET("/kiosk/:token", s.kioskShow).Name = RouteKiosk
	e.GET("/kiosk/:token/grid", s.kioskGrid).Name = RouteKioskGrid
	e.GET("/kiosk/:token/events", s.kioskEvents).Name = RouteKioskEvents
	e.POST("/kiosk/:token/heartbeat", s.kioskHeartbeat).Name = RouteKioskHeartbeat
}
