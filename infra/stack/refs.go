package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/jsii-runtime-go"

	"github.com/kiosk-news/kiosk/infra/topology"
)

// builder builds one stack. What the stack owns it uses directly; what
// another stack owns (the platform's bus, API, authorizers, secrets, alarm
// topic and tables, another domain's tables or functions) it reads from the
// SSM parameter the owner wrote, on first use, so a stack reads only what it
// needs.
type builder struct {
	*deployment
	stack awscdk.Stack
	// name is topology.Platform, topology.Gateway or the domain.
	name        string
	tables      map[string]awsdynamodb.ITable
	secrets     map[string]*string // ARNs
	bus         awsevents.IEventBus
	api         awsapigatewayv2.IHttpApi
	authorizers map[topology.Auth]awsapigatewayv2.IHttpRouteAuthorizer
	topic       awssns.ITopic
	dashboard   awscloudwatch.Dashboard
	built       map[string]built
	order       []string // the functions built, in order
}

func (d *deployment) builder(s awscdk.Stack, name string) *builder {
	return &builder{deployment: d, stack: s, name: name, tables: map[string]awsdynamodb.ITable{}, secrets: map[string]*string{},
		authorizers: map[topology.Auth]awsapigatewayv2.IHttpRouteAuthorizer{}, built: map[string]built{}}
}

// Param is the SSM parameter through which the stacks of a deployment share
// a value: Param("kiosk", "dev", "table", "feed") is /kiosk/dev/table/feed.
func Param(cloud, stage string, path ...string) string {
	return "/" + cloud + "/" + stage + "/" + strings.Join(path, "/")
}

func (b *builder) param(path ...string) string { return Param(b.cloud.Name, b.props.Stage, path...) }

// publish writes a value other stacks read.
func (b *builder) publish(value *string, description string, path ...string) {
	awsssm.NewStringParameter(b.stack, jsii.String(LogicalID(strings.Join(path, "-"))+"Param"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(b.param(path...)),
		StringValue:   value,
		Description:   jsii.String(description + " (written by " + *b.stack.StackName() + ")"),
	})
}

// read is a value another stack published, resolved when this stack deploys.
func (b *builder) read(path ...string) *string {
	return awsssm.StringParameter_ValueForStringParameter(b.stack, jsii.String(b.param(path...)), nil)
}

func (b *builder) table(name string) awsdynamodb.ITable {
	if t, ok := b.tables[name]; ok {
		return t
	}
	t := awsdynamodb.Table_FromTableName(b.stack, jsii.String(LogicalID(name)+"TableRef"), b.read("table", name))
	b.tables[name] = t
	return t
}

func (b *builder) secret(name string) *string {
	if arn, ok := b.secrets[name]; ok {
		return arn
	}
	b.secrets[name] = b.read("secret", name)
	return b.secrets[name]
}

func (b *builder) eventBus() awsevents.IEventBus {
	if b.bus == nil {
		b.bus = awsevents.EventBus_FromEventBusArn(b.stack, jsii.String("Bus"), b.read("bus", "arn"))
	}
	return b.bus
}

func (b *builder) httpAPI() awsapigatewayv2.IHttpApi {
	if b.api == nil {
		b.api = awsapigatewayv2.HttpApi_FromHttpApiAttributes(b.stack, jsii.String("Api"),
			&awsapigatewayv2.HttpApiAttributes{HttpApiId: b.read("api", "id")})
	}
	return b.api
}

// authorizer is the platform's authorizer for an auth mode; nil for a route
// the gateway lets through (public, console).
func (b *builder) authorizer(mode topology.Auth) awsapigatewayv2.IHttpRouteAuthorizer {
	if !mode.Authorized() {
		return nil
	}
	if a, ok := b.authorizers[mode]; ok {
		return a
	}
	a := awsapigatewayv2.HttpAuthorizer_FromHttpAuthorizerAttributes(b.stack, jsii.String(LogicalID(string(mode))+"Authorizer"),
		&awsapigatewayv2.HttpAuthorizerAttributes{AuthorizerId: b.read("api", "authorizer", string(mode)), AuthorizerType: jsii.String("CUSTOM")})
	b.authorizers[mode] = a
	return a
}

// alarmTopic is the platform's SNS topic every alarm notifies.
func (b *builder) alarmTopic() awssns.ITopic {
	if b.topic == nil {
		b.topic = awssns.Topic_FromTopicArn(b.stack, jsii.String("AlarmTopic"), b.read("alarms", "topic"))
	}
	return b.topic
}

func (b *builder) output(name string, v *string, desc string) {
	awscdk.NewCfnOutput(b.stack, jsii.String(name), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
}
