// Package dist packages a function's bootstrap as Lambda deploys it.
package dist

import (
	"archive/zip"
	"io"
	"os"
	"time"
)

// Tags are the build tags of every deployed bootstrap: lambda.norpc drops the
// legacy go1.x RPC runtime; nethttpomithttp2 drops net/http's bundled HTTP/2
// (-0.35 MiB per binary: DynamoDB, EventBridge, the Runtime API and feeds all
// speak HTTP/1.1). Never pprof: that build profiles itself (make bench).
const Tags = "lambda.norpc,nethttpomithttp2"

// Zip writes a zip holding one executable "bootstrap" with a fixed
// timestamp, so the same code gives the same asset hash and no needless deploy.
func Zip(bin, dst string) (int64, error) {
	in, err := os.Open(bin)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	zw := zip.NewWriter(out)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = io.Copy(w, in)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
