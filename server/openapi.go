package server

import (
	_ "embed"

	"github.com/gin-gonic/gin"
)

// openAPI is the API description, OpenAPI 3.1 (its schemas are JSON Schema 2020-12). Every
// route of routes.go is in it (TestOpenAPICoversRoutes) and the server tests validate the
// answers they receive against it (openapi_test.go).
//
//go:embed openapi.json
var openAPI []byte

// handleOpenAPI answers the API description.
func (s *Server) handleOpenAPI(c *gin.Context, v *view) error {
	return s.sendCached(c, v, "openapi", func(v *view) (*body, error) {
		return newBody(ctOpenAPI, cacheRevalidate, openAPI, 9), nil
	})
}
