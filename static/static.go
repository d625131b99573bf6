// Package static is phusong's web map and carrier upload page: index.html, app.css and app.js;
// upload.html, upload.css and the ES module upload.js with the modules it imports (i18n.js,
// strings.js, api.js, dom.js); and Leaflet (pinned in package.json/package-lock.json, copied
// into vendor/ by `make vendor`).
// The server embeds these files, so the map works with no internet. Building needs vendor/:
// run `make vendor` (make build/test/run do) after a fresh clone.
package static

import (
	"embed"
	"io/fs"
)

//go:embed *.html *.css *.js icon.svg vendor
var files embed.FS

// FS returns the web map's files rooted at this folder: "index.html", "app.js",
// "vendor/leaflet/leaflet.js" …
func FS() fs.FS { return files }
