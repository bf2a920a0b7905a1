package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"micboard/app/model"
	"micboard/app/store"
)

// Limits of an assignment CSV: every cell is untrusted input.
const (
	// 512 KiB: the preview posts the file back to confirm it, form-encoded,
	// which must stay under the server's 2 MB request limit.
	MaxImportBytes = 512 << 10
	MaxImportRows  = 2000
	maxImportCell  = 2000
)

// ImportColumns are the columns of the assignment CSV, in export order.
// An import needs performer and one of slot or channel; priority and
// notes may be left out.
var ImportColumns = []string{"slot", "channel", "performer", "priority", "notes"}

// ImportRow is one data row of an uploaded CSV and what it would do.
type ImportRow struct {
	Line                                      int // line in the file, header = 1
	Slot, Channel, Performer, Priority, Notes string
	ChannelID                                 int64
	ChannelLabel                              string
	PerformerID                               int64 // 0: a new performer is created
	Reason                                    string
}

// Refused reports whether the row will not be stored.
func (r ImportRow) Refused() bool { return r.Reason != "" }

// NewPerformer reports whether the row creates its performer.
func (r ImportRow) NewPerformer() bool { return r.PerformerID == 0 }

// ImportPlan is what an upload would change: the accepted rows create their
// assignment (and performer when new), the refused rows nothing.
type ImportPlan struct {
	Rows          []ImportRow
	Accepted      int
	Refused       int
	NewPerformers int
	// Created is filled by ApplyImport: the assignments it made.
	Created []int64
}

// importFileError is a problem with the file as a whole.
func importFileError(format string, args ...any) error {
	return &ValidationError{Fields: map[string]string{"file": fmt.Sprintf(format, args...)}}
}

// cell reads one untrusted cell: valid UTF-8, trimmed, at most
// maxImportCell characters, with the quote mark export puts before
// formula-like text taken off again.
func cell(rec []string, i int) (string, string) {
	if i < 0 || i >= len(rec) {
		return "", ""
	}
	v := rec[i]
	if !utf8.ValidString(v) {
		return strings.ToValidUTF8(v, "?"), "is not valid UTF-8 text"
	}
	v = strings.TrimSpace(v)
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@", rune(v[1])) {
		v = v[1:]
	}
	if utf8.RuneCountInString(v) > maxImportCell {
		return truncateRunes(v, 64), fmt.Sprintf("a cell has at most %d characters", maxImportCell)
	}
	return v, ""
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// PlanImport reads an assignment CSV and says, row by row, what it would
// do, storing nothing. A file that cannot be read as such a CSV at all is a
// ValidationError on "file".
func PlanImport(ctx context.Context, st *store.Store, data []byte) (*ImportPlan, error) {
	if len(data) == 0 {
		return nil, importFileError("choose a CSV file to upload")
	}
	if len(data) > MaxImportBytes {
		return nil, importFileError("the file is larger than %d KiB", MaxImportBytes>>10)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return nil, importFileError("the first line must name the columns (slot or channel, performer, priority, notes): %v", err)
	}
	col := map[string]int{"slot": -1, "channel": -1, "performer": -1, "priority": -1, "notes": -1}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		idx, known := col[name]
		switch {
		case !known:
			return nil, importFileError("unknown column %s: the columns are slot, channel, performer, priority and notes", strconv.Quote(truncateRunes(name, 40)))
		case idx >= 0:
			return nil, importFileError("the column %s appears twice", name)
		}
		col[name] = i
	}
	if col["performer"] < 0 || (col["slot"] < 0 && col["channel"] < 0) {
		return nil, importFileError("the file needs a performer column and a slot or channel column")
	}

	channels, err := st.Channels.All(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*model.Channel{}
	bySlot := map[string][]*model.Channel{}
	for _, ch := range channels {
		byID[ch.ID] = ch
		if slot, _ := model.SplitSlotName(ch.DisplayName()); slot != "" {
			bySlot[strings.ToUpper(slot)] = append(bySlot[strings.ToUpper(slot)], ch)
		}
	}
	active, err := st.Assignments.Query().Active().List(ctx)
	if err != nil {
		return nil, err
	}
	taken := map[int64]string{}
	for _, a := range active {
		taken[a.ChannelID] = AssignmentLabel(a)
	}
	performers, err := st.Performers.List(ctx, false)
	if err != nil {
		return nil, err
	}
	known := map[string]int64{}
	for _, p := range performers {
		if _, dup := known[strings.ToLower(p.Name)]; !dup {
			known[strings.ToLower(p.Name)] = p.ID
		}
	}

	plan := &ImportPlan{}
	usedOn := map[int64]int{}
	newNames := map[string]bool{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(pe.Err, csv.ErrFieldCount) {
			return nil, importFileError("line %d is not valid CSV: %v", pe.Line, pe.Err)
		}
		if err != nil {
			return nil, importFileError("the file cannot be read as CSV: %v", err)
		}
		line, _ := r.FieldPos(0)
		if len(plan.Rows) >= MaxImportRows {
			return nil, importFileError("at most %d rows in one file", MaxImportRows)
		}
		row := ImportRow{Line: line}
		var problems []string
		read := func(name string) string {
			v, problem := cell(rec, col[name])
			if problem != "" {
				problems = append(problems, name+": "+problem)
			}
			return v
		}
		row.Slot, row.Channel, row.Performer = read("slot"), read("channel"), read("performer")
		row.Priority, row.Notes = strings.ToLower(read("priority")), read("notes")
		if len(rec) > len(header) {
			problems = append(problems, fmt.Sprintf("%d cells where the header names %d", len(rec), len(header)))
		}
		if allEmpty(rec) {
			continue
		}
		if len(problems) == 0 {
			row.Reason = planRow(&row, byID, bySlot, taken, usedOn, known)
		} else {
			row.Reason = strings.Join(problems, "; ")
		}
		if row.Refused() {
			plan.Refused++
		} else {
			plan.Accepted++
			usedOn[row.ChannelID] = row.Line
			if row.NewPerformer() && !newNames[strings.ToLower(row.Performer)] {
				newNames[strings.ToLower(row.Performer)] = true
				plan.NewPerformers++
			}
		}
		plan.Rows = append(plan.Rows, row)
	}
	if len(plan.Rows) == 0 {
		return nil, importFileError("the file has no rows below its header")
	}
	return plan, nil
}

func allEmpty(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// planRow resolves one row's channel and performer, or returns why it is
// refused.
func planRow(row *ImportRow, byID map[int64]*model.Channel, bySlot map[string][]*model.Channel,
	taken map[int64]string, usedOn map[int64]int, known map[string]int64) string {
	var ch *model.Channel
	switch {
	case row.Channel != "":
		id, err := strconv.ParseInt(strings.TrimPrefix(row.Channel, "#"), 10, 64)
		if err != nil || id < 1 {
			return fmt.Sprintf("channel %s is not a channel id", strconv.Quote(truncateRunes(row.Channel, 40)))
		}
		if ch = byID[id]; ch == nil {
			return fmt.Sprintf("there is no channel %d on an active receiver", id)
		}
		if row.Slot != "" {
			if slot, _ := model.SplitSlotName(ch.DisplayName()); !strings.EqualFold(slot, row.Slot) {
				return fmt.Sprintf("channel %d is not slot %s", id, strconv.Quote(truncateRunes(row.Slot, 40)))
			}
		}
	case row.Slot != "":
		matches := bySlot[strings.ToUpper(row.Slot)]
		switch len(matches) {
		case 0:
			return fmt.Sprintf("no channel has the slot %s", strconv.Quote(truncateRunes(row.Slot, 40)))
		case 1:
			ch = matches[0]
		default:
			return fmt.Sprintf("slot %s is on %d channels: give the channel id instead", strconv.Quote(row.Slot), len(matches))
		}
	default:
		return "give a slot or a channel"
	}
	row.ChannelID, row.ChannelLabel = ch.ID, ch.DisplayName()
	if ch.Receiver != nil {
		row.ChannelLabel += " (" + ch.Receiver.Name + ")"
	}
	if who, ok := taken[ch.ID]; ok {
		return fmt.Sprintf("%s already has an active assignment (%s)", ch.DisplayName(), who)
	}
	if line, ok := usedOn[ch.ID]; ok {
		return fmt.Sprintf("line %d already assigns this channel", line)
	}
	if row.Performer == "" {
		return "give the performer's name"
	}
	if err := model.CheckLabel(row.Performer, 100); err != nil {
		return "performer: " + err.Error()
	}
	if row.Priority == "" {
		row.Priority = string(model.PriorityNormal)
	}
	if !model.Priority(row.Priority).Valid() {
		return fmt.Sprintf("priority %s: must be low, normal, high or critical", strconv.Quote(truncateRunes(row.Priority, 40)))
	}
	row.PerformerID = known[strings.ToLower(row.Performer)]
	return ""
}

// ApplyImport plans the CSV again and, in one transaction with its audit
// row, creates the accepted rows' performers and assignments. Refused rows
// are never stored. Should a channel have been assigned since the preview,
// the row is refused now; the returned plan is what was done.
func ApplyImport(ctx context.Context, st *store.Store, actor Actor, data []byte) (*ImportPlan, error) {
	var plan *ImportPlan
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		var err error
		if plan, err = PlanImport(ctx, tx, data); err != nil {
			return Change{}, err
		}
		if plan.Accepted == 0 {
			return Change{}, errNothingToDo
		}
		created := map[string]int64{}
		for i := range plan.Rows {
			row := &plan.Rows[i]
			if row.Refused() {
				continue
			}
			if row.NewPerformer() {
				key := strings.ToLower(row.Performer)
				if id, ok := created[key]; ok {
					row.PerformerID = id
				} else {
					p := &model.Performer{Name: row.Performer, Active: true}
					if err := tx.Performers.Create(ctx, p); err != nil {
						return Change{}, fmt.Errorf("line %d: %w", row.Line, err)
					}
					created[key], row.PerformerID = p.ID, p.ID
				}
			}
			a := &model.Assignment{PerformerID: row.PerformerID, ChannelID: row.ChannelID, Priority: model.Priority(row.Priority),
				Notes: row.Notes, Active: true, AlertFlags: model.DefaultAlerts}
			if err := tx.Assignments.Create(ctx, a); err != nil {
				return Change{}, fmt.Errorf("line %d: %w", row.Line, assignmentError(err))
			}
			plan.Created = append(plan.Created, a.ID)
		}
		return Change{Action: "assignment.import", ObjectKind: "assignment", ObjectIDs: plan.Created,
			Summary: fmt.Sprintf("imported %d assignment(s) and %d new performer(s) from CSV; %d row(s) refused",
				len(plan.Created), len(created), plan.Refused)}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return plan, nil
	}
	if err != nil {
		return nil, fmt.Errorf("import assignments: %w", err)
	}
	return plan, nil
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet: text
// starting with = + - or @ gets a leading quote mark, which import removes.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@", rune(v[0])) {
		return "'" + v
	}
	return v
}

// ExportAssignments writes the active assignments as the CSV ImportColumns
// describes, the same file import reads.
func ExportAssignments(ctx context.Context, st *store.Store, w io.Writer) error {
	list, err := st.Assignments.Query().Active().List(ctx)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ImportColumns); err != nil {
		return fmt.Errorf("export assignments: %w", err)
	}
	for _, a := range list {
		slot, name := "", ""
		if a.Channel != nil {
			slot, _ = model.SplitSlotName(a.Channel.DisplayName())
		}
		if a.Performer != nil {
			name = a.Performer.Name
		}
		rec := []string{csvSafe(slot), strconv.FormatInt(a.ChannelID, 10), csvSafe(name), string(a.Priority), csvSafe(a.Notes)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("export assignments: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export assignments: %w", err)
	}
	return nil
}
