// Package stack builds Kiosk's AWS CDK stacks from the topology: a platform
// stack (the event bus, the HTTP API and its authorizers, the secrets, the
// platform tables, the alarm topic), one stack per domain (its functions with
// a `live` alias each, their routes on the shared API, rules on the shared bus
// and schedules with dead-letter queues, its own tables, least-privilege
// roles, alarms and a dashboard), and a small gateway stack for the API's
// stage. Nothing here is declared by hand: add a function to the topology and
// it gets all of it, in its domain's stack; add a domain and it gets a stack.
//
// Stacks never reference each other through CloudFormation exports: a stack
// writes what others need (the bus ARN, the API and authorizer ids, table
// names, secret ARNs, the alarm topic, the operators' view of the
// asynchronous functions) to SSM parameters under /<cloud>/<stage>/, and a
// reader resolves them when it deploys (parameters of type
// AWS::SSM::Parameter::Value<String>). So a domain stack can be updated,
// replaced or deleted without CloudFormation refusing because another stack
// imports one of its outputs; the price is that a reader sees a change only at
// its own next deploy, and the deploy order (platform, domains, gateway) is
// the app's stack dependencies.
package stack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/kiosk-news/kiosk/infra/topology"
)

// Props configures one deployment (a stage) of the stacks.
type Props struct {
	// Env is the account and region, if known at synth.
	Env *awscdk.Environment
	// Stage is "dev" or "prod": prod retains tables and logs and protects
	// tables from deletion.
	Stage string
	// Origins are the app origins allowed by CORS.
	Origins []string
	// Dist holds <function>.zip (make dist).
	Dist string
	// AlarmEmail, when set, subscribes this address to the alarm topic
	// (AWS sends it a confirmation first).
	AlarmEmail string
}

// Stacks is one deployment of the cloud.
type Stacks struct {
	Platform awscdk.Stack
	// Domains holds a stack per domain of the topology, by domain.
	Domains map[string]awscdk.Stack
	// Gateway holds the API's $default stage.
	Gateway awscdk.Stack
	// All is every stack in deploy order: the platform, the domains
	// (each after those it needs), the gateway.
	All []awscdk.Stack
}

// Async delivery settings, for rule and schedule targets and Lambda's own
// asynchronous invocations.
const (
	targetRetries = 4
	asyncRetries  = 2
)

// StackName is the name (and CDK id) of a stack of a deployment: prefix is
// "Kiosk-<stage>", name is topology.Platform, topology.Gateway or a domain.
func StackName(prefix, name string) string { return prefix + "-" + name }

// New builds the stacks of cloud in scope, named prefix-<name>.
func New(scope constructs.Construct, prefix string, cloud topology.Cloud, props Props) (Stacks, error) {
	if err := cloud.Validate(); err != nil {
		return Stacks{}, err
	}
	if props.Stage != "dev" && props.Stage != "prod" {
		return Stacks{}, fmt.Errorf("stage must be dev or prod, got %q", props.Stage)
	}
	d := &deployment{cloud: cloud, props: props, prod: props.Stage == "prod", prefix: prefix}
	for _, f := range cloud.Functions {
		if n := d.physical(f.Name); len(n) > 64 {
			return Stacks{}, fmt.Errorf("function %q: its Lambda name %q is longer than Lambda's 64 characters", f.Name, n)
		}
	}
	d.removal = awscdk.RemovalPolicy_DESTROY
	if d.prod {
		d.removal = awscdk.RemovalPolicy_RETAIN
	}
	out := Stacks{Domains: map[string]awscdk.Stack{}}
	out.Platform = d.platform(scope)
	out.All = append(out.All, out.Platform)
	for _, domain := range cloud.Domains() {
		s := d.domain(scope, domain)
		s.AddStackDependency(out.Platform, jsii.String("the platform's bus, API, authorizers, secrets and tables come first"))
		for _, need := range cloud.DomainNeeds(domain) {
			s.AddStackDependency(out.Domains[need], jsii.String("it reads "+need+"'s tables or functions"))
		}
		out.Domains[domain] = s
		out.All = append(out.All, s)
	}
	out.Gateway = d.gateway(scope)
	for _, domain := range cloud.Domains() {
		if throttled(cloud, domain) {
			out.Gateway.AddStackDependency(out.Domains[domain], jsii.String("route settings may only name routes that exist"))
		}
	}
	out.All = append(out.All, out.Gateway)
	return out, nil
}

// deployment is what every stack of one deployment shares.
type deployment struct {
	cloud   topology.Cloud
	props   Props
	prod    bool
	removal awscdk.RemovalPolicy
	prefix  string
}

// physical is the name of a function's Lambda, kiosk-dev-feed-api, and with
// "-dlq" of its dead-letter queue: fixed names that the rollback commands and
// the operators' view can use, short enough that the operators' environment
// (every asynchronous function's alias ARN and queue URL) fits Lambda's 4 KB.
// A fixed name also means one deployment per stage, account and region, as
// the SSM parameters do.
func (d *deployment) physical(function string) string {
	return d.cloud.Name + "-" + d.props.Stage + "-" + function
}

func (d *deployment) newStack(scope constructs.Construct, name, what string) awscdk.Stack {
	return awscdk.NewStack(scope, jsii.String(StackName(d.prefix, name)), &awscdk.StackProps{
		Env:         d.props.Env,
		Description: jsii.String(fmt.Sprintf("Kiosk news backend (%s): %s, built from infra/topology", d.props.Stage, what)),
	})
}

// throttled reports whether a domain declares a route with its own throttle.
func throttled(cloud topology.Cloud, domain string) bool {
	for _, f := range cloud.FunctionsOf(domain) {
		for _, r := range f.Routes {
			if r.Throttle != nil {
				return true
			}
		}
	}
	return false
}

// LogicalID turns "record-heartbeat" into "RecordHeartbeat".
func LogicalID(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// Check adds the cdk-nag AwsSolutions and Serverless packs to every stack of
// the app; unsuppressed findings are errors at synth.
func Check(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}
