package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/kiosk-news/kiosk/infra/topology"
)

// platform builds the stack every domain deploys on: the event bus, the HTTP
// API with its authorizers (and the authorizer function), the secrets, the
// platform tables and the alarm topic, each published for the domains.
func (d *deployment) platform(scope constructs.Construct) awscdk.Stack {
	s := d.newStack(scope, topology.Platform, "the platform (bus, HTTP API, authorizers, secrets, shared tables, alarm topic)")
	b := d.builder(s, topology.Platform)

	topic := awssns.NewTopic(s, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("Kiosk " + d.props.Stage + " alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	b.topic = topic
	if d.props.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(d.props.AlarmEmail), nil))
	}
	b.publish(b.topic.TopicArn(), "the alarm topic every alarm notifies", "alarms", "topic")
	b.output("AlarmTopicArn", b.topic.TopicArn(), "the SNS topic every alarm notifies (subscribe on-call to it)")

	b.buildTables()
	for _, sc := range d.cloud.Secrets {
		secret := awssecretsmanager.NewSecret(s, jsii.String(LogicalID(sc.Name)+"Secret"), &awssecretsmanager.SecretProps{
			Description: jsii.String(sc.Description),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true),
			},
			RemovalPolicy: d.removal,
		})
		cdknag.NagSuppressions_AddResourceSuppressions(secret, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-SMG4"),
			Reason: jsii.String("a signing key cannot rotate on a timer until verifiers accept the previous key too; " +
				"rotation is a documented manual step (README, Deploy)"),
		}}, jsii.Bool(false))
		b.secrets[sc.Name] = secret.SecretArn()
		b.publish(secret.SecretArn(), "secret "+sc.Name, "secret", sc.Name)
		b.output(LogicalID(sc.Name)+"SecretArn", secret.SecretArn(), "secret "+sc.Name)
	}

	bus := awsevents.NewEventBus(s, jsii.String("Bus"), &awsevents.EventBusProps{})
	b.bus = bus
	b.publish(bus.EventBusArn(), "the event bus every domain's rules sit on", "bus", "arn")
	b.output("BusName", bus.EventBusName(), "the event bus")

	api := b.buildAPI()
	b.newDashboard()
	// The authorizer first: a route of a platform function would need it.
	fns := d.cloud.FunctionsOf(topology.Platform)
	for _, f := range fns {
		if f.Name == d.cloud.Authorizer {
			b.buildAuthorizers(api, b.buildFunction(f))
		}
	}
	for _, f := range fns {
		if f.Name != d.cloud.Authorizer {
			b.buildFunction(f)
		}
	}
	b.noFunctions(len(fns))
	b.businessMetrics(topology.Platform)
	b.queries()
	return s
}

// noFunctions gives a stack without functions a dashboard with something on
// it (CloudWatch refuses an empty one).
func (b *builder) noFunctions(n int) {
	if n == 0 {
		b.dashboard.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String(*b.stack.StackName() + " has no functions."), Width: jsii.Number(24),
		}))
	}
}

func (b *builder) buildAPI() awsapigatewayv2.HttpApi {
	// The topology's CORS; the stage's own origins when the deployment
	// names them.
	c := b.cloud.CORS
	origins := b.props.Origins
	if len(origins) == 0 {
		origins = c.Origins
	}
	var cors *awsapigatewayv2.CorsPreflightOptions
	if len(origins) > 0 {
		var methods []awsapigatewayv2.CorsHttpMethod
		for _, m := range c.Methods {
			methods = append(methods, awsapigatewayv2.CorsHttpMethod(m))
		}
		cors = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins:  jsii.Strings(origins...),
			AllowMethods:  &methods,
			AllowHeaders:  jsii.Strings(c.AllowHeaders...),
			ExposeHeaders: jsii.Strings(c.ExposeHeaders...),
			MaxAge:        awscdk.Duration_Seconds(jsii.Number(c.MaxAge.Seconds())),
		}
	}
	api := awsapigatewayv2.NewHttpApi(b.stack, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(b.prefix),
		CorsPreflight:      cors,
		CreateDefaultStage: jsii.Bool(false), // the gateway stack's
	})
	b.api = api
	b.publish(api.ApiId(), "the HTTP API every domain's routes are on", "api", "id")
	b.output("ApiUrl", api.ApiEndpoint(), "the HTTP API's URL (served once the gateway stack has deployed its stage)")
	return api
}

// buildAuthorizers makes one authorizer resource per protected auth mode, both
// calling the authorizer's live alias: API Gateway caches decisions per
// authorizer and token, so a user's cached "yes" can never open an admin
// route. Domains find their ids in SSM.
func (b *builder) buildAuthorizers(api awsapigatewayv2.HttpApi, alias awslambda.Alias) {
	for _, mode := range []topology.Auth{topology.User, topology.Admin} {
		id := LogicalID(string(mode)) + "Authorizer"
		a := awsapigatewayv2.NewHttpAuthorizer(b.stack, jsii.String(id), &awsapigatewayv2.HttpAuthorizerProps{
			HttpApi:               api,
			Type:                  awsapigatewayv2.HttpAuthorizerType_LAMBDA,
			AuthorizerName:        jsii.String(string(mode)),
			IdentitySource:        jsii.Strings("$request.header.Authorization"),
			EnableSimpleResponses: jsii.Bool(true),
			PayloadFormatVersion:  awsapigatewayv2.AuthorizerPayloadVersion_VERSION_2_0,
			AuthorizerUri: jsii.String("arn:" + *b.stack.Partition() + ":apigateway:" + *b.stack.Region() +
				":lambda:path/2015-03-31/functions/" + *alias.FunctionArn() + "/invocations"),
			ResultsCacheTtl: awscdk.Duration_Seconds(jsii.Number(topology.AuthorizerCacheTTL.Seconds())),
		})
		alias.AddPermission(jsii.String(id+"Invoke"), &awslambda.Permission{
			Principal: awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
			SourceArn: b.stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("execute-api"), Resource: api.ApiId(), ResourceName: jsii.String("authorizers/" + *a.AuthorizerId()),
			}),
		})
		b.publish(a.AuthorizerId(), "the "+string(mode)+" routes' authorizer", "api", "authorizer", string(mode))
		b.authorizers[mode] = awsapigatewayv2.HttpAuthorizer_FromHttpAuthorizerAttributes(b.stack, jsii.String(id+"Ref"),
			&awsapigatewayv2.HttpAuthorizerAttributes{AuthorizerId: a.AuthorizerId(), AuthorizerType: jsii.String("CUSTOM")})
	}
}

// gateway builds the stack of the API's $default stage: default and
// per-route throttles and the access log. API Gateway refuses route settings
// for a route that does not exist yet, so the stage deploys after the domains
// whose routes declare a throttle.
func (d *deployment) gateway(scope constructs.Construct) awscdk.Stack {
	s := d.newStack(scope, topology.Gateway, "the HTTP API's stage (throttles, access log)")
	b := d.builder(s, topology.Gateway)
	accessLogs := awslogs.NewLogGroup(s, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: b.retention(), RemovalPolicy: d.removal,
	})
	// One JSON object per request: what API Gateway saw, for joining with the
	// functions' access logs by request id.
	format := `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime",` +
		`"routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol",` +
		`"responseLength":"$context.responseLength","latency":"$context.responseLatency",` +
		`"integrationLatency":"$context.integrationLatency","integrationError":"$context.integrationErrorMessage",` +
		`"authorizerError":"$context.authorizer.error"}`
	// Tighter limits for the routes that declare them (route settings are
	// keyed by route key).
	routeThrottles := map[string]any{}
	for _, r := range d.cloud.Routes() {
		if r.Throttle != nil {
			routeThrottles[r.Key()] = map[string]any{
				"ThrottlingRateLimit":  r.Throttle.Rate,
				"ThrottlingBurstLimit": r.Throttle.Burst,
			}
		}
	}
	awsapigatewayv2.NewCfnStage(s, jsii.String("ApiStage"), &awsapigatewayv2.CfnStageProps{
		ApiId:      b.httpAPI().ApiId(),
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		DefaultRouteSettings: &awsapigatewayv2.CfnStage_RouteSettingsProperty{
			ThrottlingRateLimit:  jsii.Number(d.cloud.Throttle.Rate),
			ThrottlingBurstLimit: jsii.Number(float64(d.cloud.Throttle.Burst)),
		},
		RouteSettings: routeThrottles,
		AccessLogSettings: &awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
			DestinationArn: accessLogs.LogGroupArn(),
			Format:         jsii.String(format),
		},
		// No tracing here: an HTTP API (ApiGatewayV2) has no X-Ray tracing
		// (AWS::ApiGatewayV2::Stage has no TracingEnabled; only REST APIs do).
		// A trace starts in the first function, from the X-Amzn-Trace-Id
		// header API Gateway adds.
	})
	b.sloAlarms()
	return s
}

// domain builds a domain's stack: its tables and functions, on the
// platform's bus and API.
func (d *deployment) domain(scope constructs.Construct, domain string) awscdk.Stack {
	s := d.newStack(scope, domain, "the "+domain+" domain")
	b := d.builder(s, domain)
	b.buildTables()
	b.newDashboard()
	for _, f := range d.cloud.FunctionsOf(domain) {
		b.buildFunction(f)
	}
	b.wireOperators()
	b.wireInvokes()
	b.noFunctions(len(d.cloud.FunctionsOf(domain)))
	b.businessMetrics(domain)
	b.queries()
	return s
}
