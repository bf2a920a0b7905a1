package web

// Route names. Templates ({{url "home"}}) and redirects (s.redirect) build
// URLs from these names, never from literal paths.
const (
	RouteHome    = "home"
	RouteHealthz = "healthz"
	RouteReadyz  = "readyz"
	RouteStatic  = "static"
)

// routes registers every route of the app; this is the one list of them.
func (s *Server) routes() {
	e := s.echo

	// Probes.
	e.GET("/healthz", s.healthShow).Name = RouteHealthz
	e.GET("/readyz", s.readyShow).Name = RouteReadyz

	// Assets.
	e.GET("/static/*", s.staticServe).Name = RouteStatic

	// Pages.
	e.GET("/", s.homeShow).Name = RouteHome
}
