package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

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
	RouteQR             = "qr"
	RouteKiosk          = "kiosk"
	RouteKioskGrid      = "kiosk.grid"
	RouteKioskEvents    = "kiosk.events"
	RouteKioskHeartbeat = "kiosk.heartbeat"

	RoutePerformer       = "performer"
	RoutePerformerGrid   = "performer.grid"
	RoutePerformerEvents = "performer.events"

	RouteAlerts           = "alerts"
	RouteAlertAcknowledge = "alerts.acknowledge"

	RouteLogin       = "login"
	RouteLoginSubmit = "login.submit"
	RouteSetup       = "setup"
	RouteLogout      = "logout"

	RouteAdmin             = "admin"
	RouteAdminUsers        = "admin.users"
	RouteAdminUserCreate   = "admin.users.create"
	RouteAdminUserRole     = "admin.users.role"
	RouteAdminUserDisable  = "admin.users.disable"
	RouteAdminUserEnable   = "admin.users.enable"
	RouteAdminUserPassword = "admin.users.password"
	RouteAdminAudit        = "admin.audit"
	RouteAdminPerformance  = "admin.performance"

	RouteAdminInstances      = "admin.instances"
	RouteAdminInstancesTable = "admin.instances.table"

	RouteMetrics = "metrics"

	RouteAdminReceivers        = "admin.receivers"
	RouteAdminReceiversEvents  = "admin.receivers.events"
	RouteAdminReceiversBulk    = "admin.receivers.bulk"
	RouteAdminReceiverShow     = "admin.receivers.show"
	RouteAdminReceiverSave     = "admin.receivers.save"
	RouteAdminChannelRename    = "admin.channels.rename"
	RouteAdminChannels         = "admin.channels"
	RouteAdminConnections      = "admin.connections"
	RouteAdminConnectionsBulk  = "admin.connections.bulk"
	RouteAdminManufacturers    = "admin.manufacturers"
	RouteAdminManufacturerSync = "admin.manufacturers.sync"

	RouteAdminPerformers      = "admin.performers"
	RouteAdminPerformerCreate = "admin.performers.create"
	RouteAdminPerformerUpdate = "admin.performers.update"
	RouteAdminPerformerLink   = "admin.performers.link"
	RouteAdminPerformerUnlink = "admin.performers.unlink"
	RouteAdminAssignments     = "admin.assignments"
	RouteAdminAssignmentNew   = "admin.assignments.create"
	RouteAdminAssignmentEdit  = "admin.assignments.update"
	RouteAdminAssignmentsBulk = "admin.assignments.bulk"
	RouteAdminAssignmentsCSV  = "admin.assignments.export"
	RouteAdminImport          = "admin.import"
	RouteAdminImportPreview   = "admin.import.preview"
	RouteAdminImportConfirm   = "admin.import.confirm"

	RouteAdminGroups      = "admin.groups"
	RouteAdminGroupSave   = "admin.groups.save"
	RouteAdminGroupDelete = "admin.groups.delete"

	RouteAdminDiscovery       = "admin.discovery"
	RouteAdminDiscoveryTask   = "admin.discovery.task"
	RouteAdminDiscoveryReview = "admin.discovery.review"
	RouteAdminDiscoveryBulk   = "admin.discovery.bulk"

	RouteAdminKiosks      = "admin.kiosks"
	RouteAdminKioskCreate = "admin.kiosks.create"
	RouteAdminKioskRevoke = "admin.kiosks.revoke"
	RouteAdminKioskUpdate = "admin.kiosks.update"

	RouteAdminWebhooks      = "admin.webhooks"
	RouteAdminWebhookCreate = "admin.webhooks.create"
	RouteAdminWebhookRemove = "admin.webhooks.remove"

	RouteAdminTokens      = "admin.tokens"
	RouteAdminTokenCreate = "admin.tokens.create"
	RouteAdminTokenRevoke = "admin.tokens.revoke"

	RouteAdminLocations      = "admin.locations"
	RouteAdminLocationCreate = "admin.locations.create"
	RouteAdminLocationUpdate = "admin.locations.update"
	RouteAdminLocationDelete = "admin.locations.delete"
)

// Route names of the JSON API under /api/v1 (api_*.go).
const (
	RouteAPIOpenAPI = "api.openapi"

	RouteAPIBoard       = "api.board"
	RouteAPIBoardEvents = "api.board.events"

	RouteAPIReceivers           = "api.receivers.list"
	RouteAPIReceiversOnline     = "api.receivers.online"
	RouteAPIReceiversLowBattery = "api.receivers.low_battery"
	RouteAPIReceiver            = "api.receivers.show"
	RouteAPIReceiverSyncStatus  = "api.receivers.sync_status"

	RouteAPITransmitters           = "api.transmitters.list"
	RouteAPITransmittersLowBattery = "api.transmitters.low_battery"
	RouteAPITransmitter            = "api.transmitters.show"

	RouteAPIChannels      = "api.channels.list"
	RouteAPIChannel       = "api.channels.show"
	RouteAPIChannelRename = "api.channels.rename"

	RouteAPIAssignments      = "api.assignments.list"
	RouteAPIAssignment       = "api.assignments.show"
	RouteAPIAssignmentCreate = "api.assignments.create"
	RouteAPIAssignmentUpdate = "api.assignments.update"
	RouteAPIAssignmentDelete = "api.assignments.delete"

	RouteAPIPerformers      = "api.performers.list"
	RouteAPIPerformer       = "api.performers.show"
	RouteAPIPerformerCreate = "api.performers.create"
	RouteAPIPerformerUpdate = "api.performers.update"
	RouteAPIPerformerDelete = "api.performers.delete"

	RouteAPILocations            = "api.locations.list"
	RouteAPILocationCounts       = "api.locations.counts"
	RouteAPILocation             = "api.locations.show"
	RouteAPILocationCreate       = "api.locations.create"
	RouteAPILocationUpdate       = "api.locations.update"
	RouteAPILocationDelete       = "api.locations.delete"
	RouteAPILocationAssignDevice = "api.locations.assign_device"

	RouteAPIConnections          = "api.connections.list"
	RouteAPIConnectionsUnhealthy = "api.connections.unhealthy"
	RouteAPIConnectionHeartbeat  = "api.connections.heartbeat"

	RouteAPIDiscoveryTasks      = "api.discovery.tasks.list"
	RouteAPIDiscoveryTaskCreate = "api.discovery.tasks.create"
	RouteAPIDiscoveryFound      = "api.discovery.found.list"
	RouteAPIDiscoveryApprove    = "api.discovery.found.approve"
	RouteAPIDiscoveryReject     = "api.discovery.found.reject"

	RouteAPIInstances = "api.instances.list"
)

// routes registers every route of the app; this is the one list of them.
// Who may reach each one is in routeAccess (access.go).
func (s *Server) routes() {
	e := s.echo
	stream := s.streamMiddleware()
	guess := s.guessLimit()

	// Probes.
	s.get("/healthz", s.healthShow).Name = RouteHealthz
	s.get("/readyz", s.readyShow).Name = RouteReadyz

	// Assets.
	s.get("/static/*", s.staticServe).Name = RouteStatic

	// Logging in and out; with no user at all, the login page offers to
	// create the first admin (setup).
	s.get("/login", s.loginShow).Name = RouteLogin
	e.POST("/login", s.loginSubmit).Name = RouteLoginSubmit
	e.POST("/setup", s.setupSubmit).Name = RouteSetup
	e.POST("/logout", s.logout).Name = RouteLogout

	// The board: the page, its grid (fetched again after a reconnect), its
	// live stream, and the channel detail panel.
	s.get("/", s.boardShow).Name = RouteHome
	s.get("/board/grid", s.boardGrid).Name = RouteBoardGrid
	s.get("/board/events", s.boardEvents, stream...).Name = RouteBoardEvents
	s.get("/channels/:id", s.channelShow).Name = RouteChannel
	s.get("/qr.svg", s.qrShow).Name = RouteQR // a QR code of the page a person looks at ("Q")

	// Wall displays: the secret token in the URL is the only credential, so
	// wrong guesses are rate-limited per client.
	s.get("/kiosk/:token", s.kioskShow, guess).Name = RouteKiosk
	s.get("/kiosk/:token/grid", s.kioskGrid, guess).Name = RouteKioskGrid
	s.get("/kiosk/:token/events", s.kioskEvents, append([]echo.MiddlewareFunc{guess}, stream...)...).Name = RouteKioskEvents
	e.POST("/kiosk/:token/heartbeat", s.kioskHeartbeat, guess).Name = RouteKioskHeartbeat

	// A performer's packs on a phone ("my packs"): like a wall display, the
	// secret in the URL is the credential; it posts nothing.
	s.get("/p/:secret", s.performerShow, guess).Name = RoutePerformer
	s.get("/p/:secret/grid", s.performerGrid, guess).Name = RoutePerformerGrid
	s.get("/p/:secret/events", s.performerEvents, append([]echo.MiddlewareFunc{guess}, stream...)...).Name = RoutePerformerEvents

	// Alerts: the list, and acknowledging one (also from a board's toast).
	s.get("/alerts", s.alertsList).Name = RouteAlerts
	e.POST("/alerts/:id/acknowledge", s.alertAcknowledge).Name = RouteAlertAcknowledge

	// The admin console.
	s.get("/admin/", s.adminHome).Name = RouteAdmin
	s.get("/admin/users", s.adminUsersList).Name = RouteAdminUsers
	e.POST("/admin/users", s.adminUserCreate).Name = RouteAdminUserCreate
	e.POST("/admin/users/:id/role", s.adminUserRole).Name = RouteAdminUserRole
	e.POST("/admin/users/:id/disable", s.adminUserDisable).Name = RouteAdminUserDisable
	e.POST("/admin/users/:id/enable", s.adminUserEnable).Name = RouteAdminUserEnable
	e.POST("/admin/users/:id/password", s.adminUserPassword).Name = RouteAdminUserPassword
	s.get("/admin/audit", s.adminAuditList).Name = RouteAdminAudit
	s.get("/admin/performance", s.adminPerformance).Name = RouteAdminPerformance

	// The instances sharing the database; the page polls its table.
	s.get("/admin/instances", s.adminInstancesList).Name = RouteAdminInstances
	s.get("/admin/instances/table", s.adminInstancesTableShow).Name = RouteAdminInstancesTable

	// Prometheus; its gate is mayReadMetrics (metrics_show.go).
	s.get("/metrics", s.metricsShow).Name = RouteMetrics

	// The console's device pages: receivers (a live table), channels,
	// connections and manufacturers.
	s.get("/admin/receivers", s.adminReceiversList).Name = RouteAdminReceivers
	s.get("/admin/receivers/events", s.adminReceiversEvents, stream...).Name = RouteAdminReceiversEvents
	e.POST("/admin/receivers/bulk", s.adminReceiversBulk).Name = RouteAdminReceiversBulk
	s.get("/admin/receivers/:id", s.adminReceiverShow).Name = RouteAdminReceiverShow
	e.POST("/admin/receivers/:id", s.adminReceiverSave).Name = RouteAdminReceiverSave
	s.get("/admin/channels", s.adminChannelsList).Name = RouteAdminChannels
	e.POST("/admin/channels/:id/name", s.adminChannelRename).Name = RouteAdminChannelRename
	s.get("/admin/connections", s.adminConnectionsList).Name = RouteAdminConnections
	e.POST("/admin/connections/bulk", s.adminConnectionsBulk).Name = RouteAdminConnectionsBulk
	s.get("/admin/manufacturers", s.adminManufacturersList).Name = RouteAdminManufacturers
	e.POST("/admin/manufacturers/:id/sync", s.adminManufacturerSync).Name = RouteAdminManufacturerSync
	s.get("/admin/performers", s.adminPerformersList).Name = RouteAdminPerformers
	e.POST("/admin/performers", s.adminPerformerCreate).Name = RouteAdminPerformerCreate
	e.POST("/admin/performers/:id", s.adminPerformerUpdate).Name = RouteAdminPerformerUpdate
	e.POST("/admin/performers/:id/link", s.adminPerformerLink).Name = RouteAdminPerformerLink
	e.POST("/admin/performers/:id/unlink", s.adminPerformerUnlink).Name = RouteAdminPerformerUnlink
	s.get("/admin/assignments", s.adminAssignmentsList).Name = RouteAdminAssignments
	e.POST("/admin/assignments", s.adminAssignmentCreate).Name = RouteAdminAssignmentNew
	e.POST("/admin/assignments/:id", s.adminAssignmentUpdate).Name = RouteAdminAssignmentEdit
	e.POST("/admin/assignments/bulk", s.adminAssignmentsBulk).Name = RouteAdminAssignmentsBulk
	s.get("/admin/assignments/export.csv", s.adminAssignmentsExport).Name = RouteAdminAssignmentsCSV
	s.get("/admin/assignments/import", s.adminImportShow).Name = RouteAdminImport
	e.POST("/admin/assignments/import/preview", s.adminImportPreview).Name = RouteAdminImportPreview
	e.POST("/admin/assignments/import", s.adminImportConfirm).Name = RouteAdminImportConfirm
	s.get("/admin/groups", s.adminGroupsList).Name = RouteAdminGroups
	e.POST("/admin/groups", s.adminGroupSave).Name = RouteAdminGroupSave
	e.POST("/admin/groups/:number/delete", s.adminGroupDelete).Name = RouteAdminGroupDelete
	s.get("/admin/discovery", s.adminDiscoveryList).Name = RouteAdminDiscovery
	e.POST("/admin/discovery/tasks", s.adminDiscoveryTaskCreate).Name = RouteAdminDiscoveryTask
	e.POST("/admin/discovery/:id/review", s.adminDiscoveryReview).Name = RouteAdminDiscoveryReview
	e.POST("/admin/discovery/bulk", s.adminDiscoveryBulk).Name = RouteAdminDiscoveryBulk
	s.get("/admin/kiosks", s.adminKiosksList).Name = RouteAdminKiosks
	e.POST("/admin/kiosks", s.adminKioskCreate).Name = RouteAdminKioskCreate
	e.POST("/admin/kiosks/:id/revoke", s.adminKioskRevoke).Name = RouteAdminKioskRevoke
	e.POST("/admin/kiosks/:id", s.adminKioskUpdate).Name = RouteAdminKioskUpdate
	s.get("/admin/webhooks", s.adminWebhooksList).Name = RouteAdminWebhooks
	e.POST("/admin/webhooks", s.adminWebhookCreate).Name = RouteAdminWebhookCreate
	e.POST("/admin/webhooks/:id/remove", s.adminWebhookRemove).Name = RouteAdminWebhookRemove
	s.get("/admin/tokens", s.adminTokensList).Name = RouteAdminTokens
	e.POST("/admin/tokens", s.adminTokenCreate).Name = RouteAdminTokenCreate
	e.POST("/admin/tokens/:id/revoke", s.adminTokenRevoke).Name = RouteAdminTokenRevoke
	s.get("/admin/locations", s.adminLocationsList).Name = RouteAdminLocations
	e.POST("/admin/locations", s.adminLocationCreate).Name = RouteAdminLocationCreate
	e.POST("/admin/locations/:id", s.adminLocationUpdate).Name = RouteAdminLocationUpdate
	e.POST("/admin/locations/:id/delete", s.adminLocationDelete).Name = RouteAdminLocationDelete

	s.apiRoutes()
}

// apiRoutes registers the JSON API (api_*.go). Who may call each route is
// in routeAccess like every other route; the document at openapi.json
// describes each one, and TestAPIOpenAPIDescribesEveryRoute holds it to that.
func (s *Server) apiRoutes() {
	e := s.echo
	stream := s.streamMiddleware()
	const v1 = apiBase

	s.get(v1+"/openapi.json", s.apiOpenAPI).Name = RouteAPIOpenAPI

	// The live board, from memory, and its changes as JSON events.
	s.get(v1+"/board", s.apiBoardShow).Name = RouteAPIBoard
	s.get(v1+"/board/events", s.apiBoardEvents, stream...).Name = RouteAPIBoardEvents

	s.get(v1+"/receivers", s.apiReceiversList).Name = RouteAPIReceivers
	s.get(v1+"/receivers/online", s.apiReceiversOnline).Name = RouteAPIReceiversOnline
	s.get(v1+"/receivers/low_battery", s.apiReceiversLowBattery).Name = RouteAPIReceiversLowBattery
	s.get(v1+"/receivers/:id", s.apiReceiverShow).Name = RouteAPIReceiver
	e.POST(v1+"/receivers/:id/sync_status", s.apiReceiverSyncStatus).Name = RouteAPIReceiverSyncStatus

	s.get(v1+"/transmitters", s.apiTransmittersList).Name = RouteAPITransmitters
	s.get(v1+"/transmitters/low_battery", s.apiTransmittersLowBattery).Name = RouteAPITransmittersLowBattery
	s.get(v1+"/transmitters/:id", s.apiTransmitterShow).Name = RouteAPITransmitter

	s.get(v1+"/channels", s.apiChannelsList).Name = RouteAPIChannels
	s.get(v1+"/channels/:id", s.apiChannelShow).Name = RouteAPIChannel
	e.PATCH(v1+"/channels/:id", s.apiChannelRename).Name = RouteAPIChannelRename

	s.get(v1+"/assignments", s.apiAssignmentsList).Name = RouteAPIAssignments
	e.POST(v1+"/assignments", s.apiAssignmentCreate).Name = RouteAPIAssignmentCreate
	s.get(v1+"/assignments/:id", s.apiAssignmentShow).Name = RouteAPIAssignment
	e.PATCH(v1+"/assignments/:id", s.apiAssignmentUpdate).Name = RouteAPIAssignmentUpdate
	e.DELETE(v1+"/assignments/:id", s.apiAssignmentDelete).Name = RouteAPIAssignmentDelete

	s.get(v1+"/performers", s.apiPerformersList).Name = RouteAPIPerformers
	e.POST(v1+"/performers", s.apiPerformerCreate).Name = RouteAPIPerformerCreate
	s.get(v1+"/performers/:id", s.apiPerformerShow).Name = RouteAPIPerformer
	e.PATCH(v1+"/performers/:id", s.apiPerformerUpdate).Name = RouteAPIPerformerUpdate
	e.DELETE(v1+"/performers/:id", s.apiPerformerDelete).Name = RouteAPIPerformerDelete

	s.get(v1+"/locations", s.apiLocationsList).Name = RouteAPILocations
	s.get(v1+"/locations/counts", s.apiLocationCounts).Name = RouteAPILocationCounts
	e.POST(v1+"/locations", s.apiLocationCreate).Name = RouteAPILocationCreate
	s.get(v1+"/locations/:id", s.apiLocationShow).Name = RouteAPILocation
	e.PATCH(v1+"/locations/:id", s.apiLocationUpdate).Name = RouteAPILocationUpdate
	e.DELETE(v1+"/locations/:id", s.apiLocationDelete).Name = RouteAPILocationDelete
	e.POST(v1+"/locations/:id/assign_device", s.apiLocationAssignDevice).Name = RouteAPILocationAssignDevice

	s.get(v1+"/connections", s.apiConnectionsList).Name = RouteAPIConnections
	s.get(v1+"/connections/unhealthy", s.apiConnectionsUnhealthy).Name = RouteAPIConnectionsUnhealthy
	e.POST(v1+"/connections/:id/heartbeat", s.apiConnectionHeartbeat).Name = RouteAPIConnectionHeartbeat

	s.get(v1+"/discovery/tasks", s.apiDiscoveryTasksList).Name = RouteAPIDiscoveryTasks
	e.POST(v1+"/discovery/tasks", s.apiDiscoveryTaskCreate).Name = RouteAPIDiscoveryTaskCreate
	s.get(v1+"/discovery/found", s.apiDiscoveryFoundList).Name = RouteAPIDiscoveryFound
	e.POST(v1+"/discovery/found/:id/approve", s.apiDiscoveryApprove).Name = RouteAPIDiscoveryApprove
	e.POST(v1+"/discovery/found/:id/reject", s.apiDiscoveryReject).Name = RouteAPIDiscoveryReject

	s.get(v1+"/instances", s.apiInstancesList).Name = RouteAPIInstances
}

// get registers a GET route and the HEAD route that answers the same
// status and headers (Echo adds no HEAD by itself; net/http drops the
// body). It returns the GET route, which carries the name.
func (s *Server) get(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	s.echo.HEAD(path, h, m...)
	return s.echo.GET(path, h, m...)
}

// streamRetryAfter is how long a browser turned away at the stream cap
// waits before it tries again.
const streamRetryAfter = 10 * time.Second

// streamMiddleware readies the live stream routes: a cap on how many run
// at once, no read or write deadline for their hours-long answers, and a
// small send buffer so a client that stops reading is dropped soon.
func (s *Server) streamMiddleware() []echo.MiddlewareFunc {
	limit := s.cfg.MaxStreams
	if limit <= 0 {
		limit = defaultMaxStreams
	}
	return []echo.MiddlewareFunc{middleware.StreamLimit(limit, streamRetryAfter), middleware.LongLived(), streamSocket()}
}

// Kiosk token guessing: a client gets kioskGuessBurst wrong tokens, then
// one per kioskGuessEvery. A display with the right token is never slowed.
const (
	kioskGuessEvery = 6 * time.Second
	kioskGuessBurst = 10
)

// guessLimit counts the answers that say "no such display" (404).
func (s *Server) guessLimit() echo.MiddlewareFunc {
	return middleware.GuessLimit(kioskGuessEvery, kioskGuessBurst, func(c echo.Context, err error) bool {
		if err == nil {
			return c.Response().Status == http.StatusNotFound
		}
		status, _ := statusOf(err)
		return status == http.StatusNotFound
	})
}
