package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// decodeJSON reads a request body into v strictly: JSON only, one value,
// no unknown field, every field of the expected type. An empty body reads
// as {} (every field optional is then left zero). Bodies over the server's
// BodyLimit never get here: fiber answers 413 first.
//
// Errors say what is wrong, in the caller's language: 415 for another
// content type, 400 for text that is not JSON, 422 for JSON of the wrong
// shape. Nothing has changed when decodeJSON fails.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEApplicationJSON {
		return withStatus(agora.Errorf(agora.EINVALID, "error.json_content_type"), fiber.StatusUnsupportedMediaType)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return withStatus(agora.Errorf(agora.EINVALID, "error.json_syntax"), fiber.StatusBadRequest)
	}
	return nil
}

// jsonError translates a decoding error into a clear one.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tm *time.ParseError
	switch {
	case errors.As(err, &tm):
		return agora.Errorf(agora.EINVALID, "error.json_time")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return agora.Errorf(agora.EINVALID, "error.json_type", field, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return agora.Errorf(agora.EINVALID, "error.json_unknown_field", field)
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return withStatus(agora.Errorf(agora.EINVALID, "error.json_syntax"), fiber.StatusBadRequest)
	}
	return withStatus(agora.Errorf(agora.EINVALID, "error.json_syntax"), fiber.StatusBadRequest)
}

// withStatus gives e a status other than its code's.
func withStatus(e *agora.Error, status int) error {
	e.Err = httpStatus(status)
	return e
}

// pathID reads a positive integer path parameter; anything else is not
// found, as no such thing can exist.
func pathID(c *fiber.Ctx, name, notFoundKey string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, agora.Errorf(agora.ENOTFOUND, notFoundKey)
	}
	return id, nil
}

// noStoreJSON answers with v as JSON that no cache keeps: API answers
// carry personal state.
func noStoreJSON(c *fiber.Ctx, status int, v any) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(v)
}
