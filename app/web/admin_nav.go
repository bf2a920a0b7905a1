package web

import (
	"github.com/labstack/echo/v4"
)

// adminNavItem is one entry of the admin console's navigation.
type adminNavItem struct {
	Label   string
	Route   string // "" for a page still to come
	Current bool
}

// adminSections are the console's pages in the order the navigation shows
// them; a section without a route is shown as coming.
var adminSections = []adminNavItem{
	{Label: "Overview", Route: RouteAdmin},
	{Label: "Receivers", Route: RouteAdminReceivers},
	{Label: "Channels", Route: RouteAdminChannels},
	{Label: "Performers", Route: RouteAdminPerformers},
	{Label: "Assignments", Route: RouteAdminAssignments},
	{Label: "Locations", Route: RouteAdminLocations},
	{Label: "Manufacturers", Route: RouteAdminManufacturers},
	{Label: "Connections", Route: RouteAdminConnections},
	{Label: "Discovery", Route: RouteAdminDiscovery},
	{Label: "Groups", Route: RouteAdminGroups},
	{Label: "Kiosks", Route: RouteAdminKiosks},
	{Label: "Webhooks", Route: RouteAdminWebhooks},
	{Label: "Users", Route: RouteAdminUsers},
	{Label: "API tokens", Route: RouteAdminTokens},
	{Label: "Audit log", Route: RouteAdminAudit},
	{Label: "Performance", Route: RouteAdminPerformance},
	{Label: "Instances", Route: RouteAdminInstances},
}

// adminNav lists the sections the user of c may open, marking current.
func adminNav(c echo.Context, current string) []adminNavItem {
	u := currentUser(c)
	out := make([]adminNavItem, 0, len(adminSections))
	for _, it := range adminSections {
		if it.Route != "" && (u == nil || !u.Role.AtLeast(routeAccess[it.Route].role())) {
			continue
		}
		it.Current = it.Route != "" && it.Route == current
		out = append(out, it)
	}
	return out
}
