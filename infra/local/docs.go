package local

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
)

// DocsPath is where the local cloud serves the API reference.
const DocsPath = "/_local/docs"

// docsPage renders infra/topology/openapi.json with Redoc (pinned in
// package.json, served from node_modules: nothing comes from a CDN).
const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kiosk HTTP API reference</title>
<style>body { margin: 0; }</style>
</head>
<body>
<div id="redoc"></div>
<script src="` + DocsPath + `/redoc.standalone.js"></script>
<script>
Redoc.init(` + "`" + DocsPath + `/openapi.json` + "`" + `, {
  hideDownloadButton: false,
  expandResponses: "200,201,202,204",
  jsonSampleExpandLevel: 3,
  sortTagsAlphabetically: false,
}, document.getElementById("redoc"));
</script>
</body>
</html>
`

// docs serves the API reference: the page, the document as it is on disk
// now (an edit shows on reload), and Redoc's standalone bundle.
func docs(root string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DocsPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:")
		_, _ = w.Write([]byte(docsPage))
	})
	file := func(name, path, contentType string) {
		mux.HandleFunc("GET "+DocsPath+"/"+name, func(w http.ResponseWriter, r *http.Request) {
			b, err := os.ReadFile(path)
			if err != nil {
				http.Error(w, name+" is missing (make tools installs Redoc): "+err.Error(), http.StatusNotFound)
				return
			}
			// The bundle's one remote reference, its attribution logo, is
			// served here instead: the reference works offline.
			b = bytes.ReplaceAll(b, []byte(redocLogo), []byte(DocsPath+"/logo-mini.svg"))
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(b)
		})
	}
	file("openapi.json", filepath.Join(root, "infra", "topology", "openapi.json"), "application/json")
	file("redoc.standalone.js", filepath.Join(root, "node_modules", "redoc", "bundles", "redoc.standalone.js"), "text/javascript; charset=utf-8")
	mux.HandleFunc("GET "+DocsPath+"/logo-mini.svg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"/>`))
	})
	return mux
}

// redocLogo is the image Redoc's sidebar loads from its CDN.
const redocLogo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
