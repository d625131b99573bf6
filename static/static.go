// Package static is phusong's web map and carrier upload page: index.html, app.css and the ES
// modules app.js (the entry; its comment maps the modules) and map/*.js; upload.html, upload.css
// and upload.js; the modules both pages share (i18n.js, strings.js, api.js, dom.js); and
// Leaflet (pinned in package.json/package-lock.json and committed under vendor/, with
// vendor.json recording where each file comes from; vendor_test.go checks every byte against
// the lockfile). The server embeds these files, so the map works with no internet, and a
// fresh clone builds with plain `go build`.
package static

import (
	"embed"
	"io/fs"
)

//go:embed *.html *.css *.js map icon.svg vendor
var files embed.FS

// FS returns the web map's files rooted at this folder: "index.html", "app.js", "map/layers.js",
// "vendor/leaflet/leaflet.js" …
func FS() fs.FS { return files }
