// Package boot is every function's init: logging and the AWS configuration,
// built once, and Must for the init steps that follow. A function that
// cannot get what it declared in the topology logs why and exits, so Lambda
// reports an init error instead of serving half-configured.
package boot

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/logs"
)

// Init sets up logging and loads the AWS configuration from the environment.
func Init() aws.Config {
	logs.Setup()
	cfg, err := awsenv.Load(context.Background())
	must("load AWS config", err)
	return cfg
}

// Must returns v, or logs err and exits: for init steps such as
// boot.Must(store.Table(db, "articles")). Boot wraps no client itself, so a
// function links only the SDK clients it uses.
func Must[T any](v T, err error) T {
	must("init", err)
	return v
}

func must(what string, err error) {
	if err != nil {
		slog.Error("init failed", "what", what, "error", err.Error())
		os.Exit(1)
	}
}
