package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/agora-civic/agora"
)

// Sizes of the QR code image, in pixels.
const (
	qrMinSize     = 256
	qrMaxSize     = 1024
	qrDefaultSize = 512
)

// handleQR draws GET /w/{code}/qr.png?size=N: the join link of a workshop
// as a QR code, medium error recovery (a projector's glare or a head in
// the way still scans). The image depends only on the code and the size,
// so it is cached for a day.
func (s *Server) handleQR(c *fiber.Ctx) error {
	w, err := s.workshopByCode(c.UserContext(), codeParam(c))
	if err != nil {
		return err
	}
	size := clampQRSize(c.Query("size"))
	etag := `"qr-` + agora.HashToken(s.joinURL(w.JoinCode) + "|" + strconv.Itoa(size))[:20] + `"`
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set(fiber.HeaderETag, etag)
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	png, err := qrPNG(s.joinURL(w.JoinCode), size)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	return c.Send(png)
}

// qrPNG encodes text as a PNG QR code of size×size pixels.
func qrPNG(text string, size int) ([]byte, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, size)
	if err != nil {
		return nil, agora.WrapError(agora.EINTERNAL, "qr code", err)
	}
	return png, nil
}

// clampQRSize reads the size parameter: the default when absent or not a
// number, clamped to the sizes we draw otherwise.
func clampQRSize(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil {
		return qrDefaultSize
	}
	return min(max(n, qrMinSize), qrMaxSize)
}

// joinURL is the address a phone opens to join: what the QR code holds
// and the projector prints.
func (s *Server) joinURL(code string) string { return s.cfg.PublicURL + "/j/" + code }
