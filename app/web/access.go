package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/web/htmx"
)

// access is what a request needs to reach a route.
type access int

const (
	accessNone     access = iota // not in the table: refused, and New fails
	accessPublic                 // anyone: probes, assets, the login and logout forms
	accessKiosk                  // the secret token in the URL is the credential (no session, no CSRF token)
	accessBoard                  // a viewer, or anyone when MICBOARD_PUBLIC_BOARD=true
	accessViewer                 // any logged-in user
	accessOperator               // operators and admins: device actions
	accessAdmin                  // admins only
)

func (a access) String() string {
	switch a {
	case accessPublic:
		return "public"
	case accessKiosk:
		return "kiosk"
	case accessBoard:
		return "board"
	case accessViewer:
		return "viewer"
	case accessOperator:
		return "operator"
	case accessAdmin:
		return "admin"
	}
	return "none"
}

// role is the least role that passes a; accessBoard needs a viewer unless
// the board is public.
func (a access) role() model.Role {
	switch a {
	case accessBoard, accessViewer:
		return model.RoleViewer
	case accessOperator:
		return model.RoleOperator
	case accessAdmin:
		return model.RoleAdmin
	}
	return ""
}

// routeAccess is the one table of who may reach each route, by route name
// (routes.go). Every registered route must be listed: New refuses to start
// otherwise, and TestEveryRouteIsGuarded proves each entry holds.
var routeAccess = map[string]access{
	RouteHealthz: accessPublic,
	RouteReadyz:  accessPublic,
	RouteStatic:  accessPublic,

	RouteLogin:       accessPublic,
	RouteLoginSubmit: accessPublic,
	RouteSetup:       accessPublic, // refused once any user exists (service.ErrSetupDone)
	RouteLogout:      accessPublic,

	RouteHome:        accessBoard,
	RouteBoardGrid:   accessBoard,
	RouteBoardEvents: accessBoard,
	RouteChannel:     accessBoard,
	RouteQR:          accessBoard,

	RouteKiosk:          accessKiosk,
	RouteKioskGrid:      accessKiosk,
	RouteKioskEvents:    accessKiosk,
	RouteKioskHeartbeat: accessKiosk,

	RoutePerformer:       accessKiosk, // the secret in the URL is the credential; the page posts nothing
	RoutePerformerGrid:   accessKiosk,
	RoutePerformerEvents: accessKiosk,

	RouteAlerts:           accessViewer,
	RouteAlertAcknowledge: accessOperator,

	RouteAdmin:             accessOperator,
	RouteAdminUsers:        accessAdmin,
	RouteAdminUserCreate:   accessAdmin,
	RouteAdminUserRole:     accessAdmin,
	RouteAdminUserDisable:  accessAdmin,
	RouteAdminUserEnable:   accessAdmin,
	RouteAdminUserPassword: accessAdmin,
	RouteAdminAudit:        accessAdmin,
	RouteAdminPerformance:  accessAdmin,

	RouteAdminInstances:      accessAdmin,
	RouteAdminInstancesTable: accessAdmin,

	RouteMetrics: accessPublic, // gated by mayReadMetrics: admins, or anyone when MICBOARD_METRICS_PUBLIC=true

	// Device actions are an operator's; editing the inventory an admin's.
	RouteAdminReceivers:        accessOperator,
	RouteAdminReceiversEvents:  accessOperator,
	RouteAdminReceiversBulk:    accessOperator,
	RouteAdminReceiverShow:     accessOperator,
	RouteAdminReceiverSave:     accessAdmin,
	RouteAdminChannelRename:    accessOperator,
	RouteAdminChannels:         accessOperator,
	RouteAdminConnections:      accessOperator,
	RouteAdminConnectionsBulk:  accessOperator,
	RouteAdminManufacturers:    accessAdmin,
	RouteAdminManufacturerSync: accessAdmin,

	RouteAdminPerformers:      accessOperator,
	RouteAdminPerformerCreate: accessOperator,
	RouteAdminPerformerUpdate: accessOperator,
	// A phone link is a credential, minted and revoked like a kiosk's.
	RouteAdminPerformerLink:   accessAdmin,
	RouteAdminPerformerUnlink: accessAdmin,
	RouteAdminAssignments:     accessOperator,
	RouteAdminAssignmentNew:   accessOperator,
	RouteAdminAssignmentEdit:  accessOperator,
	RouteAdminAssignmentsBulk: accessOperator,
	RouteAdminAssignmentsCSV:  accessOperator,
	RouteAdminImport:          accessOperator,
	RouteAdminImportPreview:   accessOperator,
	RouteAdminImportConfirm:   accessOperator,

	RouteAdminGroups:      accessAdmin,
	RouteAdminGroupSave:   accessAdmin,
	RouteAdminGroupDelete: accessAdmin,

	RouteAdminDiscovery:       accessAdmin,
	RouteAdminDiscoveryTask:   accessAdmin,
	RouteAdminDiscoveryReview: accessAdmin,
	RouteAdminDiscoveryBulk:   accessAdmin,

	RouteAdminKiosks:      accessAdmin,
	RouteAdminKioskCreate: accessAdmin,
	RouteAdminKioskRevoke: accessAdmin,
	RouteAdminKioskUpdate: accessAdmin,

	RouteAdminWebhooks:      accessAdmin,
	RouteAdminWebhookCreate: accessAdmin,
	RouteAdminWebhookRemove: accessAdmin,

	RouteAdminTokens:      accessAdmin,
	RouteAdminTokenCreate: accessAdmin,
	RouteAdminTokenRevoke: accessAdmin,

	RouteAdminLocations:      accessAdmin,
	RouteAdminLocationCreate: accessAdmin,
	RouteAdminLocationUpdate: accessAdmin,
	RouteAdminLocationDelete: accessAdmin,

	// The JSON API: reads are a viewer's (the board's as the board page's),
	// and each write needs the role its page needs; discovery, like its
	// page, is an admin's. The document describing it is public.
	RouteAPIOpenAPI:     accessPublic,
	RouteAPIBoard:       accessBoard,
	RouteAPIBoardEvents: accessBoard,

	RouteAPIReceivers:           accessViewer,
	RouteAPIReceiversOnline:     accessViewer,
	RouteAPIReceiversLowBattery: accessViewer,
	RouteAPIReceiver:            accessViewer,
	RouteAPIReceiverSyncStatus:  accessOperator,

	RouteAPITransmitters:           accessViewer,
	RouteAPITransmittersLowBattery: accessViewer,
	RouteAPITransmitter:            accessViewer,

	RouteAPIChannels:      accessViewer,
	RouteAPIChannel:       accessViewer,
	RouteAPIChannelRename: accessOperator,

	RouteAPIAssignments:      accessViewer,
	RouteAPIAssignment:       accessViewer,
	RouteAPIAssignmentCreate: accessOperator,
	RouteAPIAssignmentUpdate: accessOperator,
	RouteAPIAssignmentDelete: accessOperator,

	RouteAPIPerformers:      accessViewer,
	RouteAPIPerformer:       accessViewer,
	RouteAPIPerformerCreate: accessOperator,
	RouteAPIPerformerUpdate: accessOperator,
	RouteAPIPerformerDelete: accessOperator,

	RouteAPILocations:            accessViewer,
	RouteAPILocationCounts:       accessViewer,
	RouteAPILocation:             accessViewer,
	RouteAPILocationCreate:       accessAdmin,
	RouteAPILocationUpdate:       accessAdmin,
	RouteAPILocationDelete:       accessAdmin,
	RouteAPILocationAssignDevice: accessAdmin,

	RouteAPIConnections:          accessViewer,
	RouteAPIConnectionsUnhealthy: accessViewer,
	RouteAPIConnectionHeartbeat:  accessOperator,

	RouteAPIDiscoveryTasks:      accessAdmin,
	RouteAPIDiscoveryTaskCreate: accessAdmin,
	RouteAPIDiscoveryFound:      accessAdmin,
	RouteAPIDiscoveryApprove:    accessAdmin,
	RouteAPIDiscoveryReject:     accessAdmin,

	RouteAPIInstances: accessViewer,
}

// tokenlessReads are GET routes that render no form: the CSRF middleware
// neither checks nor issues a token there (no Set-Cookie on assets, probes
// or hours-long streams).
var tokenlessReads = map[string]bool{
	RouteHealthz: true, RouteReadyz: true, RouteStatic: true, RouteBoardEvents: true, RouteMetrics: true,
	RouteAdminReceiversEvents: true, RouteAPIOpenAPI: true, RouteAPIBoardEvents: true,
}

// indexRoutes maps "METHOD /path" to each route's name (a HEAD route takes
// its GET's) and checks that routeAccess covers every route.
func (s *Server) indexRoutes() error {
	s.routeByKey = map[string]string{}
	named := map[string]string{}
	for _, r := range s.echo.Routes() {
		if !strings.HasPrefix(r.Name, "micboard/") {
			named[r.Method+" "+r.Path] = r.Name
		}
	}
	for _, r := range s.echo.Routes() {
		name := named[r.Method+" "+r.Path]
		if r.Method == http.MethodHead {
			name = named[http.MethodGet+" "+r.Path]
		}
		if name == "" {
			return fmt.Errorf("route %s %s has no name: name every route in routes.go", r.Method, r.Path)
		}
		if routeAccess[name] == accessNone {
			return fmt.Errorf("route %q (%s %s) is missing from routeAccess (access.go)", name, r.Method, r.Path)
		}
		s.routeByKey[r.Method+" "+r.Path] = name
	}
	return nil
}

// routeName is the name of the route that matched c ("" for none: a 404
// or 405 on its way).
func (s *Server) routeName(c echo.Context) string {
	return s.routeByKey[c.Request().Method+" "+c.Path()]
}

// authorize is the one middleware that enforces routeAccess.
func (s *Server) authorize() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			name := s.routeName(c)
			if name == "" {
				return next(c) // no route: the router's 404 or 405
			}
			need := routeAccess[name]
			switch {
			case need == accessNone:
				return fmt.Errorf("route %q has no access rule", name)
			case need == accessPublic, need == accessKiosk:
				return next(c)
			case need == accessBoard && s.cfg.PublicBoard:
				return next(c)
			}
			u := currentUser(c)
			if u == nil {
				return s.unauthenticated(c)
			}
			if !u.Role.AtLeast(need.role()) {
				return echo.NewHTTPError(http.StatusForbidden)
			}
			return next(c)
		}
	}
}

// unauthenticated sends a browser to the login page, with the way back;
// a stream, an htmx request or a form post gets 401.
func (s *Server) unauthenticated(c echo.Context) error {
	r := c.Request()
	page := (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		!htmx.GetRequest(c).Partial() &&
		!strings.Contains(r.Header.Get(echo.HeaderAccept), "text/event-stream") &&
		!wantsJSON(r)
	if !page {
		return echo.NewHTTPError(http.StatusUnauthorized)
	}
	login, err := s.reverse(RouteLogin)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, login+"?"+url.Values{"next": {r.URL.RequestURI()}}.Encode())
}
