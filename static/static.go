// Package static is phusong's web map: index.html, app.css and app.js written for phusong, and
// Leaflet (pinned in package.json/package-lock.json, copied into vendor/ by `make vendor`).
// The server embeds these files, so the map works with no internet. Building needs vendor/:
// run `make vendor` (make build/test/run do) after a fresh clone.
package static

import (
	"embed"
	"io/fs"
)

//go:embed index.html app.css app.js icon.svg vendor upload.html upload.css upload.js
var files embed.FS

// FS returns the web map's files rooted at this folder: "index.html", "app.js",
// "vendor/leaflet/leaflet.js" …
func FS() fs.FS { return files }
