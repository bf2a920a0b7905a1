package alert

import (
	"sort"

	"micboard/app/model"
)

// sortNewest orders alerts newest first (ties by id).
func sortNewest(list []model.Alert) {
	sort.Slice(list, func(i, j int) bool {
		if !list[i].OpenedAt.Equal(list[j].OpenedAt) {
			return list[i].OpenedAt.After(list[j].OpenedAt)
		}
		return list[i].ID > list[j].ID
	})
}
