// Package stack builds Kiosk's AWS CDK stack from the topology: a Lambda with a
// `live` alias per function, the HTTP API, the event bus, rules and schedules
// with dead-letter queues, the tables, least-privilege roles, the secrets, and
// alarms and a dashboard per function. Nothing here is declared by hand: add a
// function to the topology and it gets all of it.
package stack

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/kiosk-news/kiosk/infra/topology"
)

// Props configures one deployment of the stack.
type Props struct {
	awscdk.StackProps
	// Stage is "dev" or "prod": prod retains tables and logs and protects
	// tables from deletion.
	Stage string
	// Origins are the app origins allowed by CORS.
	Origins []string
	// Dist holds <function>.zip (make dist).
	Dist string
}

// Async delivery settings, for rule and schedule targets and Lambda's own
// asynchronous invocations.
const (
	targetRetries = 4
	asyncRetries  = 2
)

// New builds the stack for cloud.
func New(scope constructs.Construct, id string, cloud topology.Cloud, props Props) (awscdk.Stack, error) {
	if err := cloud.Validate(); err != nil {
		return nil, err
	}
	if props.Stage != "dev" && props.Stage != "prod" {
		return nil, fmt.Errorf("stage must be dev or prod, got %q", props.Stage)
	}
	s := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	b := &builder{stack: s, cloud: cloud, props: props, prod: props.Stage == "prod",
		tables: map[string]awsdynamodb.Table{}, secrets: map[string]awssecretsmanager.Secret{}, built: map[string]built{}}
	b.removal = awscdk.RemovalPolicy_DESTROY
	if b.prod {
		b.removal = awscdk.RemovalPolicy_RETAIN
	}
	b.buildTables()
	b.buildSecrets()
	b.bus = awsevents.NewEventBus(s, jsii.String("Bus"), &awsevents.EventBusProps{})
	b.buildAPI()
	b.dashboard = awscloudwatch.NewDashboard(s, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(id + "-" + props.Stage),
	})
	// The authorizer first: routes need it.
	for _, f := range cloud.Functions {
		if f.Name == cloud.Authorizer {
			b.buildAuthorizers(b.buildFunction(f))
		}
	}
	for _, f := range cloud.Functions {
		if f.Name != cloud.Authorizer {
			b.buildFunction(f)
		}
	}
	b.wireOperators()
	b.outputs(id)
	return s, nil
}

type builder struct {
	stack     awscdk.Stack
	cloud     topology.Cloud
	props     Props
	prod      bool
	removal   awscdk.RemovalPolicy
	tables    map[string]awsdynamodb.Table
	secrets   map[string]awssecretsmanager.Secret
	bus       awsevents.EventBus
	api       awsapigatewayv2.HttpApi
	stage     awsapigatewayv2.CfnStage
	dashboard awscloudwatch.Dashboard
	// One authorizer resource per protected auth mode: API Gateway caches
	// decisions per authorizer and token, so a user's cached "yes" can never
	// open an admin route.
	authorizers map[topology.Auth]awsapigatewayv2.IHttpRouteAuthorizer
	built       map[string]built
}

// built is what operator functions need of the others.
type built struct {
	fn    awslambda.Function
	role  awsiam.Role
	alias awslambda.Alias
	dlq   awssqs.Queue // nil for synchronous functions
}

func (b *builder) buildAuthorizers(alias awslambda.Alias) {
	b.authorizers = map[topology.Auth]awsapigatewayv2.IHttpRouteAuthorizer{}
	for _, mode := range []topology.Auth{topology.User, topology.Admin} {
		id := LogicalID(string(mode)) + "Authorizer"
		b.authorizers[mode] = awsapigatewayv2authorizers.NewHttpLambdaAuthorizer(jsii.String(id), alias,
			&awsapigatewayv2authorizers.HttpLambdaAuthorizerProps{
				AuthorizerName:  jsii.String(string(mode)),
				IdentitySource:  jsii.Strings("$request.header.Authorization"),
				ResponseTypes:   &[]awsapigatewayv2authorizers.HttpLambdaResponseType{awsapigatewayv2authorizers.HttpLambdaResponseType_SIMPLE},
				ResultsCacheTtl: awscdk.Duration_Seconds(jsii.Number(topology.AuthorizerCacheTTL.Seconds())),
			})
	}
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

func attrType(t topology.KeyType) awsdynamodb.AttributeType {
	switch t {
	case topology.Number:
		return awsdynamodb.AttributeType_NUMBER
	case topology.Binary:
		return awsdynamodb.AttributeType_BINARY
	}
	return awsdynamodb.AttributeType_STRING
}

func attr(k *topology.Key) *awsdynamodb.Attribute {
	if k == nil {
		return nil
	}
	return &awsdynamodb.Attribute{Name: jsii.String(k.Name), Type: attrType(k.Type)}
}

func (b *builder) buildTables() {
	for _, t := range b.cloud.Tables {
		props := &awsdynamodb.TableProps{
			PartitionKey:  attr(&t.PartitionKey),
			SortKey:       attr(t.SortKey),
			BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
			RemovalPolicy: b.removal,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			DeletionProtection: jsii.Bool(b.prod),
		}
		if t.TTL != "" {
			props.TimeToLiveAttribute = jsii.String(t.TTL)
		}
		table := awsdynamodb.NewTable(b.stack, jsii.String(LogicalID(t.Name)+"Table"), props)
		for _, ix := range t.Indexes {
			table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:      jsii.String(ix.Name),
				PartitionKey:   attr(&ix.PartitionKey),
				SortKey:        attr(ix.SortKey),
				ProjectionType: awsdynamodb.ProjectionType_ALL,
			})
		}
		b.tables[t.Name] = table
	}
}

func (b *builder) buildSecrets() {
	for _, sc := range b.cloud.Secrets {
		secret := awssecretsmanager.NewSecret(b.stack, jsii.String(LogicalID(sc.Name)+"Secret"), &awssecretsmanager.SecretProps{
			Description: jsii.String(sc.Description),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true),
			},
			RemovalPolicy: b.removal,
		})
		cdknag.NagSuppressions_AddResourceSuppressions(secret, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-SMG4"),
			Reason: jsii.String("a signing key cannot rotate on a timer until verifiers accept the previous key too; " +
				"rotation is a documented manual step (README, Deploy)"),
		}}, jsii.Bool(false))
		b.secrets[sc.Name] = secret
	}
}

func (b *builder) buildAPI() {
	origins := b.props.Origins
	var cors *awsapigatewayv2.CorsPreflightOptions
	if len(origins) > 0 {
		cors = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(origins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_PUT,
				awsapigatewayv2.CorsHttpMethod_PATCH, awsapigatewayv2.CorsHttpMethod_DELETE,
			},
			AllowHeaders: jsii.Strings("authorization", "content-type"),
			MaxAge:       awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	b.api = awsapigatewayv2.NewHttpApi(b.stack, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName:            b.stack.StackName(),
		CorsPreflight:      cors,
		CreateDefaultStage: jsii.Bool(false),
	})
	accessLogs := awslogs.NewLogGroup(b.stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: b.retention(), RemovalPolicy: b.removal,
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
	for _, r := range b.cloud.Routes() {
		if r.Throttle != nil {
			routeThrottles[r.Key()] = map[string]any{
				"ThrottlingRateLimit":  r.Throttle.Rate,
				"ThrottlingBurstLimit": r.Throttle.Burst,
			}
		}
	}
	b.stage = awsapigatewayv2.NewCfnStage(b.stack, jsii.String("ApiStage"), &awsapigatewayv2.CfnStageProps{
		ApiId:      b.api.ApiId(),
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		DefaultRouteSettings: &awsapigatewayv2.CfnStage_RouteSettingsProperty{
			ThrottlingRateLimit:  jsii.Number(b.cloud.Throttle.Rate),
			ThrottlingBurstLimit: jsii.Number(float64(b.cloud.Throttle.Burst)),
		},
		RouteSettings: routeThrottles,
		AccessLogSettings: &awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
			DestinationArn: accessLogs.LogGroupArn(),
			Format:         jsii.String(format),
		},
	})
}

func (b *builder) retention() awslogs.RetentionDays {
	if b.prod {
		return awslogs.RetentionDays_THREE_MONTHS
	}
	return awslogs.RetentionDays_ONE_MONTH
}

func (b *builder) buildFunction(f topology.Function) awslambda.Alias {
	id := LogicalID(f.Name)
	logs := awslogs.NewLogGroup(b.stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: b.retention(), RemovalPolicy: b.removal,
	})
	role := awsiam.NewRole(b.stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("least privilege for " + f.Name + ", from the topology"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logs.LogGroupArn()},
	}))
	for _, g := range f.Grants {
		role.AddToPolicy(tableStatement(b.tables[g.Table], tableIndexes(b.cloud, g.Table), g.Access))
	}
	for _, sc := range f.Secrets {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: &[]*string{b.secrets[sc].SecretArn()},
		}))
	}
	if len(f.Publishes) > 0 {
		// Only the declared detail types (the local bus checks the same).
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("events:PutEvents"),
			Resources:  &[]*string{b.bus.EventBusArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{"events:detail-type": f.Publishes}},
		}))
	}

	env := map[string]*string{}
	for k, v := range b.cloud.FunctionEnv(f,
		func(t string) string { return *b.tables[t].TableName() },
		func(sc string) string { return *b.secrets[sc].SecretArn() },
		*b.bus.EventBusName(),
	) {
		env[k] = jsii.String(v)
	}
	var reserved *float64
	if f.Concurrency > 0 {
		reserved = jsii.Number(float64(f.Concurrency))
	}
	fn := awslambda.NewFunction(b.stack, jsii.String(id), &awslambda.FunctionProps{
		ReservedConcurrentExecutions: reserved,
		Description:                  jsii.String(f.Description),
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      jsii.String("bootstrap"),
		Code:                         awslambda.Code_FromAsset(jsii.String(filepath.Join(b.props.Dist, f.Name+".zip")), nil),
		MemorySize:                   jsii.Number(float64(f.MemoryMB)),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(f.Timeout.Seconds())),
		Environment:                  &env,
		Role:                         role,
		LoggingFormat:                awslambda.LoggingFormat_JSON,
		LogGroup:                     logs,
	})
	// `live` is the old `current` symlink: every trigger targets it, each deploy
	// publishes a new version and moves it, and a rollback moves it back.
	alias := awslambda.NewAlias(b.stack, jsii.String(id+"Live"), &awslambda.AliasProps{
		AliasName: jsii.String("live"),
		Version:   fn.CurrentVersion(),
	})
	suppress := []*cdknag.NagPackSuppression{{
		Id:     jsii.String("Serverless-LambdaTracing"),
		Reason: jsii.String("requests are traced by request id through the JSON access logs; X-Ray would need a '*' resource grant"),
	}}

	for _, r := range f.Routes {
		b.addRoute(id, alias, r)
	}
	if len(f.Routes) > 0 {
		suppress = append(suppress, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("invoked synchronously by API Gateway: a failure is returned to the caller, there is nothing to dead-letter"),
		})
	}
	var dlq awssqs.Queue
	if f.Async() {
		dlq = b.deadLetterQueue(id)
		alias.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
			RetryAttempts: jsii.Number(asyncRetries),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
			OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
		})
		suppress = append(suppress, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("failed asynchronous invocations go to an on-failure destination (this function's SQS queue), which records more than a DLQ"),
		})
		target := func() awsevents.IRuleTarget {
			return awseventstargets.NewLambdaFunction(alias, &awseventstargets.LambdaFunctionProps{
				DeadLetterQueue: dlq,
				RetryAttempts:   jsii.Number(targetRetries),
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
			})
		}
		for i, sc := range f.Schedules {
			awsevents.NewRule(b.stack, jsii.String(fmt.Sprintf("%sSchedule%d", id, i)), &awsevents.RuleProps{
				Description: jsii.String(f.Name + ": " + sc.Description),
				Schedule:    awsevents.Schedule_Expression(jsii.String(sc.Expression)),
				Targets:     &[]awsevents.IRuleTarget{target()},
			})
		}
		for _, r := range f.Rules {
			rule := awsevents.NewRule(b.stack, jsii.String(id+LogicalID(r.Name)+"Rule"), &awsevents.RuleProps{
				Description:  jsii.String(f.Name + ": " + r.Name),
				EventBus:     b.bus,
				EventPattern: &awsevents.EventPattern{Source: jsii.Strings("placeholder")},
				Targets:      &[]awsevents.IRuleTarget{target()},
			})
			// The topology's pattern verbatim: EventBridge reads the same JSON the
			// local bus matched.
			rule.Node().DefaultChild().(awsevents.CfnRule).AddPropertyOverride(jsii.String("EventPattern"), patternJSON(r.Pattern()))
		}
	}
	if f.Name == b.cloud.Authorizer {
		suppress = append(suppress, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("the authorizer is invoked synchronously by API Gateway; a failure denies the request"),
		})
	}
	cdknag.NagSuppressions_AddResourceSuppressions(fn, &suppress, jsii.Bool(true))
	b.monitor(id, f, fn)
	b.built[f.Name] = built{fn: fn, role: role, alias: alias, dlq: dlq}
	return alias
}

// wireOperators gives each operator function (topology.Function.Operator)
// the asynchronous functions' live aliases and dead-letter queues in
// OperationsEnv, and exactly the rights to invoke those aliases and to read
// and delete those queues' messages.
func (b *builder) wireOperators() {
	functions, queues := map[string]*string{}, map[string]*string{}
	ops := map[string]any{"functions": functions, "queues": queues, "batches": b.cloud.BatchList()}
	var aliasArns, queueArns []*string
	for _, f := range b.cloud.Functions {
		if bf := b.built[f.Name]; f.Async() {
			functions[f.Name] = bf.alias.FunctionArn()
			queues[f.Name] = bf.dlq.QueueUrl()
			aliasArns = append(aliasArns, bf.alias.FunctionArn())
			queueArns = append(queueArns, bf.dlq.QueueArn())
		}
	}
	for _, f := range b.cloud.Functions {
		if !f.Operator {
			continue
		}
		bf := b.built[f.Name]
		bf.fn.AddEnvironment(jsii.String(topology.OperationsEnv), b.stack.ToJsonString(ops, nil), nil)
		bf.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("lambda:InvokeFunction"), Resources: &aliasArns,
		}))
		bf.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), Resources: &queueArns,
		}))
	}
}

// tableStatement grants exactly the actions an access level needs on a table
// and its declared indexes (topology.DynamoActions, which the local cloud
// enforces too); no wildcard resource.
func tableStatement(t awsdynamodb.Table, indexes []string, access topology.Access) awsiam.PolicyStatement {
	var actions []string
	for _, a := range topology.DynamoActions(access) {
		actions = append(actions, "dynamodb:"+a)
	}
	resources := []*string{t.TableArn()}
	if access != topology.Write {
		for _, ix := range indexes {
			resources = append(resources, jsii.String(*t.TableArn()+"/index/"+ix))
		}
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &resources})
}

func tableIndexes(c topology.Cloud, table string) []string {
	t, _ := c.Table(table)
	var out []string
	for _, ix := range t.Indexes {
		out = append(out, ix.Name)
	}
	return out
}

func (b *builder) addRoute(id string, alias awslambda.Alias, r topology.Route) {
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(id+LogicalID(strings.ToLower(r.Method))+routeID(r.Path)), alias, nil)
	routes := b.api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String(r.Path),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
		Integration: integration,
		Authorizer:  b.authorizers[r.Auth], // nil for public routes
	})
	if !r.Auth.Authorized() {
		reason := r.Key() + " is declared public in the topology: anyone may call it"
		if r.Auth == topology.Console {
			reason = r.Key() + " is an admin console page: the function checks the session cookie and CSRF token itself"
		}
		for _, route := range *routes {
			cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{{
				Id:     jsii.String("AwsSolutions-APIG4"),
				Reason: jsii.String(reason),
			}}, jsii.Bool(true))
		}
	}
	if r.Throttle != nil {
		// Route settings may only name routes that exist.
		for _, route := range *routes {
			b.stage.Node().AddDependency(route)
		}
	}
}

func routeID(path string) string {
	var b strings.Builder
	for _, seg := range strings.Split(path, "/") {
		seg = strings.Trim(seg, "{}+")
		seg = strings.NewReplacer(".", "", "_", "-").Replace(seg)
		b.WriteString(LogicalID(seg))
	}
	return b.String()
}

func (b *builder) deadLetterQueue(id string) awssqs.Queue {
	q := awssqs.NewQueue(b.stack, jsii.String(id+"Dlq"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		RemovalPolicy:   b.removal,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(q, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-SQS3"), Reason: jsii.String("this queue is itself a dead-letter queue")},
		{Id: jsii.String("Serverless-SQSRedrivePolicy"), Reason: jsii.String("this queue is itself a dead-letter queue")},
	}, jsii.Bool(true))
	awscloudwatch.NewAlarm(b.stack, jsii.String(id+"DlqDepthAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(id + ": events failed delivery and wait in the dead-letter queue"),
		Metric:             q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	return q
}

// monitor adds the function's alarms and its dashboard row.
func (b *builder) monitor(id string, f topology.Function, fn awslambda.Function) {
	period := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}
	errors := fn.MetricErrors(period)
	throttles := fn.MetricThrottles(period)
	p99 := fn.MetricDuration(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("p99")})
	alarm := func(name string, m awscloudwatch.IMetric, threshold float64, what string) {
		awscloudwatch.NewAlarm(b.stack, jsii.String(id+name+"Alarm"), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(f.Name + ": " + what),
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	alarm("Errors", errors, 1, "invocations failed")
	alarm("Throttles", throttles, 1, "invocations were throttled")
	alarm("Duration", p99, f.Timeout.Seconds()*1000*0.8, "p99 duration reached 80% of the timeout")
	b.dashboard.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(f.Name + ": invocations, errors, throttles"),
			Left:  &[]awscloudwatch.IMetric{fn.MetricInvocations(period), errors, throttles},
			Width: jsii.Number(12),
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(f.Name + ": duration p99 (ms)"),
			Left:  &[]awscloudwatch.IMetric{p99},
			Width: jsii.Number(12),
		}),
	)
}

func (b *builder) outputs(id string) {
	out := func(name string, v *string, desc string) {
		awscdk.NewCfnOutput(b.stack, jsii.String(name), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
	}
	out("ApiUrl", b.api.ApiEndpoint(), "the HTTP API's URL")
	out("BusName", b.bus.EventBusName(), "the event bus")
	for _, t := range b.cloud.Tables {
		out(LogicalID(t.Name)+"TableName", b.tables[t.Name].TableName(), "table "+t.Name)
	}
	for _, sc := range b.cloud.Secrets {
		out(LogicalID(sc.Name)+"SecretArn", b.secrets[sc.Name].SecretArn(), "secret "+sc.Name)
	}
	out("DashboardUrl", jsii.String(fmt.Sprintf("https://console.aws.amazon.com/cloudwatch/home?region=%s#dashboards:name=%s",
		*b.stack.Region(), *b.dashboard.DashboardName())), "the CloudWatch dashboard")
}

// patternJSON decodes a validated topology pattern for the CloudFormation template.
func patternJSON(src string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		panic(fmt.Sprintf("pattern passed Validate but is not JSON: %v", err))
	}
	return m
}

// Check adds the cdk-nag AwsSolutions and Serverless packs to every stack of
// the app; unsuppressed findings are errors at synth.
func Check(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}
