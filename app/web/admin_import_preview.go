package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminImportPreview reads an uploaded assignment CSV and shows what it
// would change and which rows are refused and why. Nothing is stored.
func (s *Server) adminImportPreview(c echo.Context) error {
	data, fields := readUpload(c)
	if fields != nil {
		return s.renderImport(c, http.StatusUnprocessableEntity, importPage{Errors: fields})
	}
	plan, err := service.PlanImport(c.Request().Context(), s.store, data)
	if f := fieldErrors(err); f != nil {
		return s.renderImport(c, http.StatusUnprocessableEntity, importPage{Errors: f})
	}
	if err != nil {
		return err
	}
	return s.renderImport(c, http.StatusOK, importPage{Plan: plan, CSV: string(data)})
}

// readUpload reads the "file" field of a multipart form, at most
// service.MaxImportBytes of it.
func readUpload(c echo.Context) ([]byte, map[string]string) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, map[string]string{"file": "choose a CSV file to upload"}
	}
	tooBig := map[string]string{"file": fmt.Sprintf("the file is larger than %d KiB", service.MaxImportBytes>>10)}
	if fh.Size > service.MaxImportBytes {
		return nil, tooBig
	}
	f, err := fh.Open()
	if err != nil {
		return nil, map[string]string{"file": "the upload could not be read: try again"}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, service.MaxImportBytes+1))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, map[string]string{"file": "the upload could not be read: try again"}
	}
	if len(data) > service.MaxImportBytes {
		return nil, tooBig
	}
	return data, nil
}
