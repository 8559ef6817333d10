// Package web holds the console's browser pages, embedded in the binary: index.html (the
// single-page app, routed by the URL's hash), login.html, and assets/ (the app's JavaScript
// modules and CSS, the vendored d3-geo, d3-array and topojson-client builds, and Natural
// Earth's 1:110m countries from world-atlas). Nothing in it is tenant data, so the console
// serves assets/ without authentication. No page uses inline script or style, so the
// console's Content-Security-Policy can be script-src 'self'; style-src 'self'.
package web

import (
	"embed"
	"io/fs"
)

//go:embed index.html login.html assets
var files embed.FS

// FS is the pages' file tree: index.html, login.html and assets/… at its root.
var FS fs.FS = files
