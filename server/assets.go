package server

import (
	"compress/gzip"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// assetTypes maps the web map's file extensions to content types; other files are not served.
var assetTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// licenceType is the content type of the licence files of vendored packages (named LICENSE, no
// extension), served so that a browser user can read the licence of the code it runs.
const licenceType = "text/plain; charset=utf-8"

// loadAssets reads every servable file of fsys once and prepares its plain and gzip bytes.
// Files under vendor/ (pinned third-party code) may be cached by browsers for a day; ours
// are revalidated with their ETag.
func loadAssets(fsys fs.FS) (map[string]*body, error) {
	out := map[string]*body{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := assetTypes[path.Ext(p)]
		if path.Base(p) == "LICENSE" {
			ct, ok = licenceType, true
		}
		if !ok {
			return nil
		}
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		level := gzip.BestCompression
		if !strings.HasPrefix(ct, "text/") && ct != "image/svg+xml" {
			level = noGzip // PNG is compressed already
		}
		cc := cacheRevalidate
		if strings.HasPrefix(p, "vendor/") {
			cc = cacheVendor
		}
		out[p] = newBody(ct, cc, raw, level).compress(nil)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("server: reading web map files: %w", err)
	}
	if out["index.html"] == nil {
		return nil, fmt.Errorf("server: web map files: index.html is missing")
	}
	return out, nil
}

// handleIndex serves the map page.
func (s *Server) handleIndex(c *gin.Context, _ *view) error {
	send(c, s.assets["index.html"])
	return nil
}

// handleAsset serves /assets/<file> from the embedded web map.
func (s *Server) handleAsset(c *gin.Context, _ *view) error {
	name := strings.TrimPrefix(c.Param("path"), "/")
	b, ok := s.assets[name]
	if !ok {
		return fmt.Errorf("asset %q: %w", name, ErrNotFound)
	}
	send(c, b)
	return nil
}
