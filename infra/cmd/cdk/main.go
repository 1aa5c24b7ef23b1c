// Command cdk is the CDK app cdk.json runs: it builds Kiosk's stacks from the
// topology — Kiosk-<stage>-platform, Kiosk-<stage>-<domain> for every domain
// and Kiosk-<stage>-gateway (see infra/stack). Context: stage (dev|prod,
// default dev), origins (comma-separated app origins for CORS), alarmEmail
// (an address to subscribe to the alarm topic).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/kiosk-news/kiosk/infra/stack"
	"github.com/kiosk-news/kiosk/infra/topology"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stage := contextString(app, "stage", "dev")
	var origins []string
	if o := contextString(app, "origins", ""); o != "" {
		origins = strings.Split(o, ",")
	}
	env := &awscdk.Environment{}
	if a := os.Getenv("CDK_DEFAULT_ACCOUNT"); a != "" {
		env.Account = jsii.String(a)
	}
	if r := os.Getenv("CDK_DEFAULT_REGION"); r != "" {
		env.Region = jsii.String(r)
	}
	_, err := stack.New(app, "Kiosk-"+stage, topology.Kiosk(), stack.Props{
		Env:        env,
		Stage:      stage,
		Origins:    origins,
		Dist:       "dist",
		AlarmEmail: contextString(app, "alarmEmail", ""),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cdk:", err)
		os.Exit(1)
	}
	stack.Check(app)
	app.Synth(nil)
}

func contextString(app awscdk.App, key, def string) string {
	if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return def
}
